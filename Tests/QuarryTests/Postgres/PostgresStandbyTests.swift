#if Postgres
import Foundation
import Quarry
@testable import QuarryPostgres
import Testing

/// After a read session on a pooled connection ends, the source keeps a
/// connection of its own begun for the next session, which then opens in
/// one statement; a standby the server ended is replaced, and closing the
/// source closes it.
@Suite(.enabled(if: PostgresServer.available, "no PostgreSQL server: QUARRY_TEST_POSTGRES_URL is not set"))
struct PostgresStandbyTests {
    private static let data = "[{:db/id 1 :item/name \"one\"} {:db/id 2 :item/name \"two\"}]"
    private static let names = "[:find ?e ?n :where [?e :item/name ?n]]"

    /// Opens a session, checks what it reads, closes it; the statements it sent to open.
    private static func session(_ source: PostgresSource, expecting names: Int) async throws -> Int {
        let before = source.statements
        let session = try await source.openReadSession()
        let opening = source.statements - before
        let request = ScanRequest(shape: ScanShape(source: source.name, attributes: [Keyword("item/name")], parameters: [],
                                                   parameterKinds: []), bindings: [[]])
        #expect(try await session.scan(request, account: nil).count == names)
        await session.close()
        return opening
    }

    /// A source over the data whose standby waits (a session on a pooled connection ended).
    private static func sourceWithStandby() async throws -> PostgresSource {
        let source = try await PostgresServer.shared.store(try EDNReader.readOne(data))
        _ = try await session(source, expecting: 2)
        #expect(await source.standby.untilWaiting())
        return source
    }

    /// The server ends every connection to `source`'s database (asked from a connection of another source),
    /// each waited for until it is gone: a backend told to end may still answer a statement or two, and a
    /// session opened on it then failed at its scan (a test that failed now and then).
    private static func endEveryConnection(of source: PostgresSource) async throws {
        let killer = try PostgresSource(url: source.url, maxConnections: 1)
        try await PostgresServer.execute("""
            SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid()
            """, on: killer)
        await killer.close()
    }

    /// The server processes connected to `source`'s database, other than the asking one.
    private static func backends(_ source: PostgresSource) async throws -> [Int32] {
        try await source.withConnection { conn in
            var pids: [Int32] = []
            for try await pid in try await conn.query("""
                SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
                """, logger: source.logger).decode(Int32.self) { pids.append(pid) }
            return pids
        }
    }

    @Test func theNextSessionOpensInOneStatement() async throws {
        let source = try await PostgresServer.shared.store(try EDNReader.readOne(Self.data))
        #expect(try await Self.session(source, expecting: 2) == 2)
        #expect(await source.standby.untilWaiting())
        #expect(try await Self.session(source, expecting: 2) == 1)
        // Given back and begun again: the one after opens in one statement too, and reads a later write.
        #expect(await source.standby.untilWaiting())
        _ = try await source.transact(try EDNReader.readOne("[{:db/id 3 :item/name \"three\"}]"))
        #expect(try await Self.session(source, expecting: 3) == 1)
        // A query through a materializer reads through it as well.
        #expect(await source.standby.untilWaiting())
        let remote = RemoteDatabase(materializer: Materializer(source: source))
        #expect(try await remote.query(Self.names).rows.count == 3)
        await source.close()
    }

    @Test func aStandbyTheServerEndedIsReplaced() async throws {
        let source = try await Self.sourceWithStandby()
        // The server ends every connection of the source, the standby among them (asked from another).
        try await Self.endEveryConnection(of: source)
        // The standby is found closed (or its first statement fails): a pooled connection serves (the
        // pool's, ended too, are passed over until a live one: a BEGIN each), and answers.
        #expect(try await Self.session(source, expecting: 2) >= 2)
        #expect(await source.standby.untilWaiting())
        #expect(try await Self.session(source, expecting: 2) == 1)
        await source.close()
    }

    /// A session whose connection the server ends between two scans:
    /// the next scan fails in one line (postgres-nio never answers a
    /// statement written to a closed connection: it must not be sent).
    @Test(arguments: [false, true])
    func aScanOnAConnectionTheServerEndedFails(onStandby: Bool) async throws {
        let source = try await PostgresServer.shared.store(try EDNReader.readOne(Self.data))
        if onStandby {
            _ = try await Self.session(source, expecting: 2)
            #expect(await source.standby.untilWaiting())
        }
        let session = try await source.openReadSession()
        let request = ScanRequest(shape: ScanShape(source: source.name, attributes: [Keyword("item/name")], parameters: [],
                                                   parameterKinds: []), bindings: [[]])
        #expect(try await session.scan(request, account: nil).count == 2)
        try await Self.endEveryConnection(of: source)
        for _ in 0..<3 {
            do {
                _ = try await session.scan(request, account: nil)
                Issue.record("a scan on a connection the server ended answered")
            } catch {
                #expect(!"\(error)".contains("\n"), "\(error)")
            }
        }
        await session.close()
        // The source goes on: a new session answers.
        let remote = RemoteDatabase(materializer: Materializer(source: source))
        #expect(try await remote.query(Self.names).rows.count == 2)
        await source.close()
    }

    /// A source that keeps no standby (the CLI's, one query and out)
    /// opens every session on a pooled connection.
    @Test func aSourceWithoutStandbyOpensEverySessionOnThePool() async throws {
        let stored = try await PostgresServer.shared.store(try EDNReader.readOne(Self.data))
        let source = try await PostgresSource.open(stored.url, keepsStandby: false)
        for _ in 0..<3 {
            let before = source.statements
            #expect(try await Self.session(source, expecting: 2) == 2)
            // The session's ROLLBACK, counted by its worker after the close: then a standby would be made.
            for _ in 0..<400 where source.statements < before + 4 { try await Task.sleep(for: .milliseconds(5)) }
            #expect(source.statements == before + 4)
        }
        #expect(source.standby.isAbsent)
        await source.close()
        await stored.close()
    }

    @Test func closingTheSourceClosesItsStandby() async throws {
        let source = try await Self.sourceWithStandby()
        let watcher = try PostgresSource(url: source.url, maxConnections: 1)
        let before = try await Self.backends(watcher)
        #expect(!before.isEmpty)
        await source.close()
        #expect(await source.standby.untilWaiting() == false)
        // The server notices a closed connection a moment later.
        var left = before
        for _ in 0..<200 where !left.isEmpty {
            left = try await Self.backends(watcher)
            if !left.isEmpty { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(left.isEmpty, "connections left open: \(left)")
        await watcher.close()
    }
}
#endif
