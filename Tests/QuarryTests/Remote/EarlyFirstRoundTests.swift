import Foundation
@testable import Quarry
import Testing

/// An in-memory store that offers `guess` as the description it read last,
/// while its sessions describe the value they read: a query's first round
/// runs with the guess while the session opens.
private struct GuessingSource: DatomSource {
    let base: Database
    let guess: SourceDescription?
    /// Sessions opened and closed.
    let sessions = Locked((opened: 0, closed: 0))

    var name: String { base.name }
    var latestDescription: SourceDescription? { guess }

    func describe() async throws -> SourceDescription { try await base.describe() }

    func scan(_ request: ScanRequest, account: MemoryAccount?) async throws -> ScanRows {
        try await base.scan(request, account: account)
    }

    func openReadSession() async throws -> any DatomReadSession {
        sessions.withLock { $0.opened += 1 }
        return Session(inner: try await base.openReadSession(), sessions: sessions)
    }

    private struct Session: DatomReadSession {
        let inner: any DatomReadSession
        let sessions: Locked<(opened: Int, closed: Int)>
        var snapshot: UInt64? { inner.snapshot }
        var sourceDescription: SourceDescription? { inner.sourceDescription }
        func scan(_ request: ScanRequest, account: MemoryAccount?) async throws -> ScanRows {
            try await inner.scan(request, account: account)
        }
        func close() async {
            sessions.withLock { $0.closed += 1 }
            await inner.close()
        }
    }
}

@Suite struct EarlyFirstRoundTests {
    private static let names = """
        [{:db/id 1 :person/name "ann"} {:db/id 2 :person/name "bob"} {:db/id 3 :person/name "cy"}]
        """
    private static let friends = """
        [{:db/ident :person/friend :db/valueType :db.type/ref}
         {:db/id 1 :person/friend 2} {:db/id 2 :person/friend 3}]
        """
    private static let friendsName = "[:find ?n ?name :where [?e :person/name ?n] [?e :person/friend ?f] [?f :person/name ?name]]"

    /// A guess equal to the session's description: the round run while the
    /// session opened stands, and the answer is the store's.
    @Test(arguments: [true, false])
    func aFirstRoundRunWithTheSessionsDescriptionStands(materialized: Bool) async throws {
        let db = try Database().transact(EDNReader.readOne(Self.names)).transact(EDNReader.readOne(Self.friends))
        let source = GuessingSource(base: db, guess: try await db.describe())
        let remote = materialized ? RemoteDatabase(materializer: Materializer(source: source))
            : RemoteDatabase(unmaterialized: source)
        let rows = try await remote.query(Self.friendsName).rows
        #expect(Set(rows) == [[.string("ann"), .string("bob")], [.string("bob"), .string("cy")]])
        #expect(remote.firstRoundsKept.withLock { $0 } == 1)
        #expect(source.sessions.withLock { $0 } == (1, 1))
    }

    /// A guess from before a write (here: before `:person/friend` existed,
    /// so the early round plans the attribute as absent) is dropped: the
    /// first round runs again with the session's description, and the
    /// answer holds what the write added.
    @Test(arguments: [true, false])
    func aStaleGuessIsPlannedAgain(materialized: Bool) async throws {
        let before = try Database().transact(EDNReader.readOne(Self.names))
        let after = try before.transact(EDNReader.readOne(Self.friends))
        let source = GuessingSource(base: after, guess: try await before.describe())
        let remote = materialized ? RemoteDatabase(materializer: Materializer(source: source))
            : RemoteDatabase(unmaterialized: source)
        #expect(try await remote.query(Self.friendsName).rows.count == 2)
        #expect(remote.firstRoundsKept.withLock { $0 } == 0)
    }

    /// A source that keeps no description: the first round waits for the
    /// session, as before.
    @Test func noGuessNoEarlyRound() async throws {
        let db = try Database().transact(EDNReader.readOne(Self.names)).transact(EDNReader.readOne(Self.friends))
        let source = GuessingSource(base: db, guess: nil)
        let remote = RemoteDatabase(materializer: Materializer(source: source))
        #expect(try await remote.query(Self.friendsName).rows.count == 2)
        #expect(remote.firstRoundsKept.withLock { $0 } == 0)
    }

    /// A query that fails in its early round (an input it lacks) fails as
    /// it would without one, and its session is closed.
    @Test func aQueryFailingEarlyClosesItsSession() async throws {
        let db = try Database().transact(EDNReader.readOne(Self.names))
        let source = GuessingSource(base: db, guess: try await db.describe())
        let remote = RemoteDatabase(materializer: Materializer(source: source))
        await #expect(throws: (any Error).self) {
            _ = try await remote.query("[:find ?n :in $ ?x :where [?e :person/name ?n]]")
        }
        #expect(source.sessions.withLock { $0 } == (1, 1))
        #expect(try await remote.query("[:find ?n :where [?e :person/name ?n]]").rows.count == 3)
    }
}
