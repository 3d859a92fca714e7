#if Postgres
import Foundation
@testable import Quarry
@testable import QuarryPostgres
import Testing

/// A query's first round runs with the description the source read last
/// while its read session opens, and stands when the session reads the
/// same; a write in between makes the query plan again.
@Suite(.enabled(if: PostgresServer.available, "no PostgreSQL server: QUARRY_TEST_POSTGRES_URL is not set"))
struct PostgresLatestDescriptionTests {
    private static let names = "[:find ?e ?n :where [?e :item/name ?n]]"

    @Test func aQueryPlansWhileItsSessionOpensUntilAWrite() async throws {
        let source = try await PostgresServer.shared.store(
            try EDNReader.readOne("[{:db/id 1 :item/name \"one\"} {:db/id 2 :item/name \"two\"}]"))
        let remote = RemoteDatabase(materializer: Materializer(source: source))
        func kept() -> Int { remote.firstRoundsKept.withLock { $0 } }
        #expect(try await remote.query(Self.names).rows.count == 2)
        let first = kept()
        // The last session's opening read the description the next one reads.
        #expect(source.latestDescription?.figures[Keyword("item/name")]?.datoms == 2)
        #expect(try await remote.query(Self.names).rows.count == 2)
        #expect(kept() == first + 1)

        // Another client's write: the guess is stale, the query plans again and sees the write.
        let writer = try PostgresSource(url: source.url, maxConnections: 1)
        _ = try await writer.transact(try EDNReader.readOne("[{:db/id 3 :item/name \"three\"} {:db/id 3 :item/rank 1}]"))
        await writer.close()
        #expect(try await remote.query(Self.names).rows.count == 3)
        #expect(kept() == first + 1)
        #expect(try await remote.query(Self.names).rows.count == 3)
        #expect(kept() == first + 2)
        await source.close()
    }
}
#endif
