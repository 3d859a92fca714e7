import Foundation
@_spi(Testing) @testable import Quarry
import Testing

/// An in-memory store whose own ``describe()`` fails: a query that plans
/// with its session's description never calls it.
private struct DescribedBySessions: DatomSource {
    let base: Database
    /// Whether sessions bring their description (false: the protocol's default, nil).
    let sessionsDescribe: Bool
    let describes = Locked(0)

    var name: String { base.name }

    func describe() async throws -> SourceDescription {
        describes.withLock { $0 += 1 }
        return try await base.describe()
    }

    func scan(_ request: ScanRequest, account: MemoryAccount?) async throws -> ScanRows {
        try await base.scan(request, account: account)
    }

    func openReadSession() async throws -> any DatomReadSession {
        Session(inner: try await base.openReadSession(), describes: sessionsDescribe)
    }

    private struct Session: DatomReadSession {
        let inner: any DatomReadSession
        let describes: Bool
        var snapshot: UInt64? { inner.snapshot }
        var sourceDescription: SourceDescription? { describes ? inner.sourceDescription : nil }
        func scan(_ request: ScanRequest, account: MemoryAccount?) async throws -> ScanRows {
            try await inner.scan(request, account: account)
        }
        func close() async { await inner.close() }
    }
}

@Suite struct SessionDescriptionTests {
    private static let data = """
        [{:db/ident :person/friend :db/valueType :db.type/ref}
         {:db/id 1 :person/name "ann" :person/friend 2} {:db/id 2 :person/name "bob" :person/friend 3}
         {:db/id 3 :person/name "cy"}]
        """
    private static let friendsName = "[:find ?n ?name :where [?e :person/name ?n] [?e :person/friend ?f] [?f :person/name ?name]]"

    /// A session that read the store's description as it opened (the
    /// PostgreSQL source's does, in the statement that fixes its snapshot)
    /// spares the query a request for it, with or without a materializer.
    @Test(arguments: [true, false])
    func aQueryPlansWithItsSessionsDescription(materialized: Bool) async throws {
        let base = try Database().transact(EDNReader.readOne(Self.data))
        let expected = try base.query(Self.friendsName).rows.count
        #expect(expected == 2)
        for sessionsDescribe in [true, false] {
            let source = DescribedBySessions(base: base, sessionsDescribe: sessionsDescribe)
            let remote = materialized ? RemoteDatabase(materializer: Materializer(source: source))
                : RemoteDatabase(unmaterialized: source)
            for _ in 0..<2 { #expect(try await remote.query(Self.friendsName).rows.count == expected) }
            let describes = source.describes.withLock { $0 }
            if sessionsDescribe {
                #expect(describes == 0)
            } else {
                // The materializer keeps the description until a write; each query asks without one.
                #expect(describes == (materialized ? 1 : 2))
            }
        }
    }

    /// The in-memory store's sessions are described as the value they read.
    @Test func aDatabaseSessionIsDescribedAsItsValue() async throws {
        let db = try Database().transact(EDNReader.readOne(Self.data))
        let session = try await db.openReadSession()
        let own = try #require(session.sourceDescription)
        let described = try await db.describe()
        #expect(own.datoms == described.datoms && own.maxEntity == described.maxEntity)
        #expect(own.figures[Keyword("person/name")]?.datoms == 3)
        await session.close()
    }
}
