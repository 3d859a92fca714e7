import Foundation
@_spi(Testing) @testable import Quarry
import Testing

/// A SQLite store that another connection writes to as soon as a query's
/// first scan has returned: between the query's first and second rounds.
private struct WriteAfterFirstScan: DatomSource {
    let inner: SQLiteSource
    let path: String
    let write: String
    /// Whether queries get the store's read sessions (false: the default,
    /// which reads the current state at every scan).
    let sessions: Bool
    /// Whether the write was made (once, from any task).
    private let wrote = Locked(false)

    init(_ inner: SQLiteSource, path: String, write: String, sessions: Bool) {
        self.inner = inner
        self.path = path
        self.write = write
        self.sessions = sessions
    }

    var name: String { inner.name }
    func describe() async throws -> SourceDescription { try await inner.describe() }

    func scan(_ request: ScanRequest, account: MemoryAccount?) async throws -> ScanRows {
        let rows = try await inner.scan(request, account: account)
        try await writeOnce()
        return rows
    }

    func openReadSession() async throws -> any DatomReadSession {
        // Without: the protocol's default session, for the comparison without snapshots.
        guard sessions else { return CurrentStateSession(source: self) }
        return Session(inner: try await inner.openReadSession(), source: self)
    }

    fileprivate func writeOnce() async throws {
        guard wrote.withLock({ done in
            defer { done = true }
            return !done
        }) else { return }
        let writer = try SQLiteSource(path: path, mode: .readWrite)
        _ = try await writer.transact(EDNReader.readOne(write))
    }

    private struct Session: DatomReadSession {
        let inner: any DatomReadSession
        let source: WriteAfterFirstScan
        var snapshot: UInt64? { inner.snapshot }
        func scan(_ request: ScanRequest, account: MemoryAccount?) async throws -> ScanRows {
            let rows = try await inner.scan(request, account: account)
            try await source.writeOnce()
            return rows
        }
        func close() async { await inner.close() }
    }
}

@Suite struct ReadSessionTests {
    private static func store(_ data: String) async throws -> (SQLiteSource, String) {
        let path = TemporaryFiles.path("session")
        let source = try SQLiteSource(path: path, mode: .create)
        _ = try await source.transact(EDNReader.readOne(data))
        return (source, path)
    }

    private static let people = """
        [{:db/ident :person/friend :db/valueType :db.type/ref}
         {:db/id 1 :person/name "ann" :person/friend 2} {:db/id 2 :person/name "bob"}]
        """
    /// Round one finds ann's friend, round two the friend's name.
    private static let friendsName = "[:find ?name :where [?e :person/friend ?f] [?f :person/name ?name]]"
    private static let rename = "[[:db/add 2 :person/name \"bea\"]]"

    @Test func everyRoundOfAQueryReadsTheSnapshotItStartedWith() async throws {
        let (source, path) = try await Self.store(Self.people)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let db = RemoteDatabase(unmaterialized: WriteAfterFirstScan(source, path: path, write: Self.rename, sessions: true))
        let during = try await db.query(Self.friendsName)
        #expect(during.stats.remote!.rounds >= 2)
        // The write landed after the first round; the second still reads the store before it.
        #expect(during.rows == [[.string("bob")]])
        #expect(try await RemoteDatabase(unmaterialized: source).query(Self.friendsName).rows == [[.string("bea")]])
        #expect(await source.openSessions == 0)
    }

    @Test func withoutASessionTheSameQueryIsTornAcrossTheWrite() async throws {
        // The comparison that shows the test above sees a write between rounds.
        let (source, path) = try await Self.store(Self.people)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let db = RemoteDatabase(unmaterialized: WriteAfterFirstScan(source, path: path, write: Self.rename, sessions: false))
        #expect(try await db.query(Self.friendsName).rows == [[.string("bea")]])
    }

    @Test func aWriteByAnotherProcessEmptiesTheCacheForTheNextQuery() async throws {
        let (source, path) = try await Self.store("[{:db/id 1 :item/n 1} {:db/id 2 :item/n 2}]")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let materializer = Materializer(source: source)
        let db = RemoteDatabase(materializer: materializer)
        let q = "[:find ?e ?n :where [?e :item/n ?n]]"
        #expect(try await db.query(q).rows.count == 2)
        #expect(try await db.query(q).stats.remote?.roundTrips == 0)
        // Not through the materializer: only the store's snapshot tells.
        let other = try SQLiteSource(path: path, mode: .readWrite)
        _ = try await other.transact(EDNReader.readOne("[[:db/add 3 :item/n 3]]"))
        let after = try await db.query(q)
        #expect(after.rows.count == 3)
        #expect(after.stats.remote!.roundTrips > 0)
        #expect(try await db.query(q).stats.remote?.roundTrips == 0)
        #expect(await source.openSessions == 0)
    }

    @Test func aFlightServesOnlyCallersOfItsSnapshot() async throws {
        let (source, path) = try await Self.store("[{:db/id 1 :item/n 1}]")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let materializer = Materializer(source: source, options: .init(cacheBytes: 0))
        let old = try await source.openReadSession()
        let other = try SQLiteSource(path: path, mode: .readWrite)
        _ = try await other.transact(EDNReader.readOne("[[:db/add 2 :item/n 2]]"))
        let new = try await source.openReadSession()
        #expect(old.snapshot! < new.snapshot!)
        let shape = ScanShape(source: source.name, attributes: [Keyword("item/n")], parameters: [], parameterKinds: [])
        let scan = ScanRequest(shape: shape, bindings: [[]])
        let (oldRows, _) = try await materializer.fetch([scan], headroomBytes: nil, lease: ReadLease(old))
        let (newRows, _) = try await materializer.fetch([scan], headroomBytes: nil, lease: ReadLease(new))
        #expect(oldRows[0].count == 1 && newRows[0].count == 2)
        await old.close()
        await new.close()
        #expect(await source.openSessions == 0)
    }

    @Test func aFailedQueryClosesItsSession() async throws {
        let (source, path) = try await Self.store(Self.people)
        defer { try? FileManager.default.removeItem(atPath: path) }
        // One round is not enough for two levels of patterns.
        let db = RemoteDatabase(unmaterialized: source, maxRounds: 1)
        await #expect(throws: QueryError.self) { _ = try await db.query(Self.friendsName) }
        #expect(await source.openSessions == 0)
        // A closed session's connection serves the next one, in a fresh transaction.
        #expect(try await RemoteDatabase(unmaterialized: source).query(Self.friendsName).rows == [[.string("bob")]])
    }

    @Test func aScanAfterCloseIsAnError() async throws {
        let (source, path) = try await Self.store(Self.people)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let session = try await source.openReadSession()
        await session.close()
        let shape = ScanShape(source: source.name, attributes: [Keyword("person/name")], parameters: [], parameterKinds: [])
        await #expect(throws: (any Error).self) {
            _ = try await session.scan(ScanRequest(shape: shape, bindings: [[]]), account: nil)
        }
    }

    @Test func aSimulatedNetworkPassesTheSnapshotOfWhatItWraps() async throws {
        let db = try Database().transact(EDNReader.readOne("[{:db/id 1 :item/n 1}]"))
        let session = try await LatencySource(wrapping: db, roundTrip: .zero).openReadSession()
        let direct = try await db.openReadSession()
        #expect(session.snapshot != nil && session.snapshot == direct.snapshot)
    }
}
