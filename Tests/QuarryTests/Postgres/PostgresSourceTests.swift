#if Postgres
import Foundation
import Quarry
@testable import QuarryPostgres
import QuarrySourceConformance
import Testing

@Suite(.enabled(if: PostgresServer.available, "no PostgreSQL server: QUARRY_TEST_POSTGRES_URL is not set"))
struct PostgresSourceTests {
    @Test func itPassesTheSourceConformanceSuite() async throws {
        let failures = await SourceConformance { data in try await PostgresServer.shared.store(data) }.run()
        #expect(failures.isEmpty, "\(failures)")
    }

    @Test(arguments: RemoteConformanceTests.cases)
    func queriesAnswerAsInMemory(_ c: ConformanceCase) async throws {
        let source = try await PostgresServer.shared.source(for: c.data)
        let remote = RemoteDatabase(materializer: Materializer(source: source))
        let inputs = try c.inputs.map { try EDNReader.readOne($0) }
        try Conformance.check(c, try await remote.query(c.query, inputs: inputs))
    }

    @Test func everyRoundReadsTheSnapshotTheQueryStartedWith() async throws {
        let source = try await PostgresServer.shared.store(EDNReader.readOne("""
            [{:db/ident :person/friend :db/valueType :db.type/ref}
             {:db/id 1 :person/name "ann" :person/friend 2} {:db/id 2 :person/name "bob"}]
            """))
        let session = try await source.openReadSession()
        let names = ScanRequest(shape: ScanShape(source: source.name, attributes: [Keyword("person/name")], parameters: [.e],
                                                 parameterKinds: [.int]), bindings: [[.int(2)]])
        #expect(try await session.scan(names, account: nil).row(0).v == .string("bob"))
        // Another client renames bob and moves the store on a transaction.
        try await PostgresServer.execute("""
            UPDATE quarry_datoms SET vs = 'bea' WHERE e = 2 AND a = 'person/name';
            UPDATE quarry_meta SET value = value + 1 WHERE key = 'next_tx'
            """, on: source)
        #expect(try await session.scan(names, account: nil).row(0).v == .string("bob"))
        let later = try await source.openReadSession()
        #expect(try await later.scan(names, account: nil).row(0).v == .string("bea"))
        #expect(later.snapshot! == session.snapshot! + 1)
        await session.close()
        await later.close()
        await source.close()
    }

    @Test func aCancelledScanStopsInTheServer() async throws {
        let source = try await PostgresServer.shared.store(EDNReader.readOne("[{:db/id 1 :n 1}]"))
        // Another client holds the table: a scan waits for it until cancelled.
        let blocker = try PostgresSource(url: source.url, maxConnections: 1)
        let (release, releasing) = AsyncStream<Void>.makeStream()
        let holding = Task {
            try await blocker.withConnection { conn in
                try await conn.query("BEGIN", logger: blocker.logger)
                try await conn.query("LOCK TABLE quarry_datoms IN ACCESS EXCLUSIVE MODE", logger: blocker.logger)
                for await _ in release {}
                try await conn.query("ROLLBACK", logger: blocker.logger)
            }
        }
        try await waitUntil(source, "the lock is held", """
            SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
            WHERE c.relname = 'quarry_datoms' AND l.mode = 'AccessExclusiveLock' AND l.granted
            """)
        let session = try await source.openReadSession()
        let request = ScanRequest(shape: ScanShape(source: source.name, attributes: [Keyword("n")], parameters: [],
                                                   parameterKinds: []), bindings: [[]])
        let scan = Task { try await session.scan(request, account: nil) }
        try await waitUntil(source, "a scan waits for the lock", """
            SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'SELECT%quarry_datoms%'
            """)
        scan.cancel()
        await #expect(throws: CancellationError.self) { _ = try await scan.value }
        releasing.finish()
        try await holding.value
        // The transaction failed with the cancel: the session refuses more, a new one reads.
        await #expect(throws: (any Error).self) { _ = try await session.scan(request, account: nil) }
        await session.close()
        let fresh = try await source.openReadSession()
        #expect(try await fresh.scan(request, account: nil).count == 1)
        await fresh.close()
        await blocker.close()
        await source.close()
    }

    /// Polls the server until `sql` returns a row (a condition, not a
    /// sleep standing in for one), for at most 20 seconds.
    private func waitUntil(_ source: PostgresSource, _ what: String, _ sql: String) async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            let found = try await source.withConnection { conn in
                var n = 0
                for try await _ in try await conn.query(.init(unsafeSQL: sql), logger: source.logger) { n += 1 }
                return n > 0
            }
            if found { return }
            await Task.yield()
        }
        Issue.record("never: \(what)")
    }

    /// More queries at once than the pool has connections: each holds one
    /// for its session, the rest wait their turn, and none waits for ever.
    @Test func moreQueriesThanConnectionsAllAnswer() async throws {
        var tx = "[{:db/ident :order/customer :db/valueType :db.type/ref}\n"
        for c in 1...20 { tx += "{:db/id \(c) :customer/name \"c\(c)\"}\n" }
        for o in 0..<200 { tx += "{:db/id \(100 + o) :order/customer \(1 + o % 20) :order/amount \(o)}\n" }
        let source = try await PostgresServer.shared.store(EDNReader.readOne(tx + "]"), maxConnections: 3)
        let local = try Database().transact(EDNReader.readOne(tx + "]"))
        let materializer = Materializer(source: source)
        let queries = (0..<24).map { i in
            "[:find ?n ?a :where [?o :order/customer ?c] [?c :customer/name ?n] [?o :order/amount ?a] [(>= ?a \(i * 8))]]"
        }
        let answers = try await withThrowingTaskGroup(of: (Int, Set<[Value]>).self) { group in
            for (i, q) in queries.enumerated() {
                group.addTask {
                    // Half share the materializer, half go without one.
                    let remote = i % 2 == 0 ? RemoteDatabase(materializer: materializer) : RemoteDatabase(unmaterialized: source)
                    return (i, Set(try await remote.query(q).rows))
                }
            }
            var out: [Int: Set<[Value]>] = [:]
            for try await (i, rows) in group { out[i] = rows }
            return out
        }
        for (i, q) in queries.enumerated() {
            #expect(answers[i] == Set(try local.query(q).rows), "\(q)")
        }
        await source.close()
    }

    /// A store another client wrote wrongly: each value column's array
    /// holds only the values its tags keep there, so a datom whose value
    /// sits in the wrong column, or has an unknown tag, must be an error
    /// naming it, not a value taken from the next datom or a trap.
    @Test(arguments: [
        ("UPDATE quarry_datoms SET vi = NULL, vd = 1.5 WHERE e = 2 AND a = 'item/n'", "a stored int value has no vi"),
        ("UPDATE quarry_datoms SET vt = 99 WHERE e = 2 AND a = 'item/n'", "unknown value tag 99"),
        ("UPDATE quarry_datoms SET vs = NULL WHERE e = 1 AND a = 'item/name'", "a stored string value has no vs"),
    ])
    func storedValuesInTheWrongColumnAreErrors(corruption: String, message: String) async throws {
        let source = try await PostgresServer.shared.store(EDNReader.readOne("""
            [{:db/id 1 :item/n 1 :item/w 1.25 :item/name "one"} {:db/id 2 :item/n 2 :item/w 2.5 :item/name "two"}
             {:db/id 3 :item/n 3 :item/w 3.75 :item/name "three"}]
            """))
        let attributes = [Keyword("item/n"), Keyword("item/name"), Keyword("item/w")]
        let whole = ScanRequest(shape: ScanShape(source: source.name, attributes: attributes, parameters: [],
                                                 parameterKinds: []), bindings: [[]])
        #expect(try await source.scan(whole, account: nil).count == 9)
        try await PostgresServer.execute(corruption, on: source)
        do {
            _ = try await source.scan(whole, account: nil)
            Issue.record("a corrupt store scanned: \(corruption)")
        } catch {
            #expect("\(error)".contains(message), "\(error)")
        }
        await source.close()
    }

    /// The description is one statement over three tables; a row another
    /// client wrote wrongly in any of them is an error naming it.
    @Test(arguments: [
        ("UPDATE quarry_figures SET datoms = -1 WHERE a = 'item/n'", "a figure of item/n is negative"),
        ("UPDATE quarry_meta SET value = -5 WHERE key = 'max_entity'", "the stored max_entity is negative"),
        ("INSERT INTO quarry_attributes VALUES ('item/x', 'db.type/nope', false, NULL, false, false)",
         "the stored value type of item/x is db.type/nope"),
        ("INSERT INTO quarry_attributes VALUES ('item/y', NULL, false, 'db.unique/nope', false, false)",
         "the stored uniqueness of item/y is db.unique/nope"),
    ])
    func aStoreDescribedWronglyIsAnError(corruption: String, message: String) async throws {
        let source = try await PostgresServer.shared.store(EDNReader.readOne("[{:db/id 1 :item/n 1} {:db/id 2 :item/n 2}]"))
        let description = try await source.describe()
        #expect(description.figures[Keyword("item/n")]?.datoms == 2 && description.datoms >= 2)
        #expect(description.maxEntity >= 2)
        try await PostgresServer.execute(corruption, on: source)
        do {
            _ = try await source.describe()
            Issue.record("a wrongly described store was described: \(corruption)")
        } catch {
            #expect("\(error)".contains(message), "\(error)")
        }
        await source.close()
    }

    @Test func serverErrorsAreOneLine() async throws {
        var url = try PostgresURL(PostgresServer.baseURL ?? "postgres://postgres@localhost/postgres")
        url.database = "quarry_no_such_database"
        do {
            _ = try await PostgresSource.open(url)
            Issue.record("a missing database opened")
        } catch {
            let text = "\(error)"
            #expect(!text.contains("\n"))
            #expect(text.contains("quarry_no_such_database"), "\(text)")
        }
    }

    @Test func urlsAreCheckedInOneLine() throws {
        let u = try PostgresURL("postgres://ann:secret@db.example:6543/facts?sslmode=require")
        #expect(u.user == "ann" && u.password == "secret" && u.host == "db.example" && u.port == 6543)
        #expect(u.database == "facts" && u.sslMode == "require" && !u.description.contains("secret"))
        let socket = try PostgresURL("postgresql://postgres@localhost:5433/db?host=/tmp/pg")
        #expect(socket.socketFolder == "/tmp/pg" && socket.host == nil)
        for bad in ["postgres://host/db", "postgres://ann@host", "postgres://ann@host:99999/db", "mysql://ann@host/db",
                    "postgres://ann@host/db?sslmode=maybe"] {
            #expect(throws: PostgresStoreError.self, "\(bad)") { _ = try PostgresURL(bad) }
        }
    }
}
#endif
