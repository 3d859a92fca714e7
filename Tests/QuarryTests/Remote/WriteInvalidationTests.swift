import Foundation
import Quarry
import Testing

@Suite struct WriteInvalidationTests {
    @Test func aWriteThroughQuarryIsSeenByTheNextQuery() async throws {
        let path = TemporaryFiles.path("write")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let source = try SQLiteSource(path: path, mode: .create)
        _ = try await source.transact(EDNReader.readOne("[{:db/id 1 :item/n 1} {:db/id 2 :item/n 2}]"))
        let materializer = Materializer(source: source)
        let db = RemoteDatabase(materializer: materializer)
        let q = "[:find ?e ?n :where [?e :item/n ?n]]"
        #expect(try await db.query(q).rows.count == 2)
        #expect(try await db.query(q).stats.remote?.roundTrips == 0)
        let summary = try await db.transact(EDNReader.readOne("[[:db/add 3 :item/n 3] [:db/retract 1 :item/n 1]]"))
        // The two changes and the transaction's :db/txInstant.
        #expect(Set(summary.attributes) == [Keyword("item/n"), Keyword("db/txInstant")] && summary.datoms == 3)
        let after = try await db.query(q)
        #expect(Set(after.rows) == [[.int(2), .int(2)], [.int(3), .int(3)]])
        #expect(after.stats.remote!.roundTrips > 0)
        #expect(await materializer.currentMetrics.cacheInvalidations > 0)
    }

    @Test func aFailedLoadLeavesTheDatabaseAsItWas() async throws {
        let path = TemporaryFiles.path("load")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let source = try SQLiteSource(path: path, mode: .create)
        _ = try await source.transact(EDNReader.readOne(
            "[{:db/ident :item/id :db/unique :db.unique/value} {:db/id 1 :item/id 1}]"))
        await #expect(throws: (any Error).self) {
            _ = try await source.transact(EDNReader.readOne("[{:db/id 2 :item/n 5} {:db/id 3 :item/id 1}]"))
        }
        let rows = try await RemoteDatabase(unmaterialized: source).query("[:find ?e ?a :where [?e ?a _]]").rows
        #expect(!rows.contains { $0[0] == .int(2) })
    }
}
