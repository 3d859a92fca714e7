#if Postgres
import Foundation
@testable import Quarry
@testable import QuarryPostgres
import Testing

/// Writes to a PostgreSQL store: the same changes as the in-memory store
/// (random transactions with tempids, upserts, lookup refs, idents,
/// retractions and unique conflicts), concurrent writers serialized by the
/// server, and a refused write that leaves the store as it was.
@Suite(.enabled(if: PostgresServer.available, "no PostgreSQL server: QUARRY_TEST_POSTGRES_URL is not set"))
struct PostgresWriteTests {
    /// A source over a new database without Quarry's tables: the first write makes them.
    func emptyStore(maxConnections: Int = 4) async throws -> PostgresSource {
        try PostgresSource(url: try await PostgresServer.shared.freshDatabase(), maxConnections: maxConnections)
    }

    @Test(arguments: 0..<8)
    func randomTransactionsMatchTheInMemoryStore(seed: UInt64) async throws {
        let store = try await emptyStore()
        try await SQLiteWriteProperties.check(seed: seed, store: store)
        await store.close()
    }

    /// Writers that all upsert one entity fail each other's transactions
    /// (the server's serialization failures); each is run again until it
    /// commits. 24 at once failed 31 of 72 writes when the runs followed
    /// each other without a pause and stopped at eight.
    @Test func concurrentWritersAreSerializedAndEveryTempidGetsItsOwnEntity() async throws {
        let writers = 24
        let store = try await emptyStore(maxConnections: writers)
        _ = try await store.transact(try EDNReader.readOne("""
            [{:db/ident :c/n :db/valueType :db.type/long :db/unique :db.unique/identity}
             {:db/ident :c/hits :db/valueType :db.type/long}]
            """))
        // All at once, each adding two entities by tempid and upserting one shared entity.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<writers {
                group.addTask {
                    _ = try await store.transact(try EDNReader.readOne("""
                        [{:db/id "a" :c/n \(100 + w)} {:db/id "b" :c/n \(200 + w)} {:db/id "s" :c/n 1 :c/hits \(w)}]
                        """))
                }
            }
            try await group.waitForAll()
        }
        let remote = RemoteDatabase(unmaterialized: store)
        let entities = try await remote.query("[:find (count ?e) . :where [?e :c/n]]").rows
        #expect(entities == [[.int(Int64(2 * writers + 1))]])
        // The shared entity was upserted, never duplicated: one value of :c/n 1, the last writer's hits.
        let shared = try await remote.query("[:find ?e :where [?e :c/n 1]]").rows
        #expect(shared.count == 1)
        let figures = try await store.describe().figures[Keyword("c/n")]
        #expect(figures == .init(datoms: 2 * writers + 1, distinctEntities: 2 * writers + 1, distinctValues: 2 * writers + 1))
        await store.close()
    }

    @Test func aRefusedWriteLeavesTheStoreAsItWas() async throws {
        let store = try await emptyStore()
        _ = try await store.transact(try EDNReader.readOne("""
            [{:db/ident :u/email :db/valueType :db.type/string :db/unique :db.unique/value}
             {:db/id 1 :u/email "a@x"} {:db/id 2 :u/email "b@x"}]
            """))
        let before = try await store.describe()
        await #expect(throws: TransactionError.self) {
            _ = try await store.transact(try EDNReader.readOne("[[:db/add 2 :u/email \"a@x\"] [:db/add 3 :u/n 1]]"))
        }
        let after = try await store.describe()
        #expect(after.figures == before.figures && after.maxEntity == before.maxEntity)
        let rows = try await RemoteDatabase(unmaterialized: store).query("[:find ?e ?m :where [?e :u/email ?m]]").rows
        #expect(Set(rows) == [[.int(1), .string("a@x")], [.int(2), .string("b@x")]])
        await store.close()
    }

    @Test func aWriteThroughTheMaterializerIsSeenByTheNextQuery() async throws {
        let store = try await emptyStore()
        _ = try await store.transact(try EDNReader.readOne("[{:db/id 1 :p/name \"ann\"}]"))
        let m = Materializer(source: store)
        let remote = RemoteDatabase(materializer: m)
        #expect(try await remote.query("[:find ?n . :where [1 :p/name ?n]]").rows == [[.string("ann")]])
        _ = try await m.transact(try EDNReader.readOne("[[:db/add 1 :p/name \"bea\"]]"))
        #expect(try await remote.query("[:find ?n . :where [1 :p/name ?n]]").rows == [[.string("bea")]])
        await store.close()
    }

    @Test func aWriteByAnotherClientDropsOnlyWhatItTouched() async throws {
        let store = try await emptyStore()
        _ = try await store.transact(try EDNReader.readOne("""
            [{:db/id 1 :p/name "ann" :p/age 30} {:db/id 2 :p/name "bob" :p/age 40}]
            """))
        let m = Materializer(source: store)
        let remote = RemoteDatabase(materializer: m)
        let names = "[:find ?e ?n :where [?e :p/name ?n]]", ages = "[:find ?e ?a :where [?e :p/age ?a]]"
        _ = try await remote.query(names)
        _ = try await remote.query(ages)
        await store.waitForListeners(1)
        // Another client writes an age.
        let other = try PostgresSource(url: store.url, maxConnections: 1)
        _ = try await other.transact(try EDNReader.readOne("[[:db/add 1 :p/age 31]]"))
        await other.close()
        await m.waitForNotices(1)
        let before = await m.currentMetrics
        #expect(Set(try await remote.query(ages).rows) == [[.int(1), .int(31)], [.int(2), .int(40)]])
        #expect(Set(try await remote.query(names).rows) == [[.int(1), .string("ann")], [.int(2), .string("bob")]])
        let spent = await m.currentMetrics.since(before)
        // The ages were fetched again, the names served from the cache at the new snapshot.
        #expect(spent.roundTrips == 1, "\(spent)")
        #expect(spent.cacheHits > 0)
        await store.close()
    }

    /// A load inserts in AEVT order, so the server's heap keeps each
    /// attribute's datoms together (a whole-attribute scan reads its few
    /// pages): a sequential read, no ORDER BY, comes back attribute by
    /// attribute, each in entity order, however the data listed them.
    @Test func aLoadKeepsEachAttributesDatomsTogether() async throws {
        var data = "["
        for e in stride(from: 40, to: 0, by: -1) { data += " {:db/id \(e) :p/name \"n\(e)\" :p/age \(e) :p/score \(Double(e) / 2)}" }
        let store = try await PostgresServer.shared.store(try EDNReader.readOne(data + "]"))
        let heap = try await store.withConnection { conn in
            var rows: [(String, Int64)] = []
            for try await (a, e) in try await conn.query("SELECT a, e FROM quarry_datoms", logger: store.logger)
                .decode((String, Int64).self) { rows.append((a, e)) }
            return rows
        }
        let expected = heap.sorted { ($0.0, $0.1) < ($1.0, $1.1) }
        #expect(heap.count == 121)
        #expect(heap.map(\.0) == expected.map(\.0) && heap.map(\.1) == expected.map(\.1))
        await store.close()
    }

    /// A listener whose stream ends early sends nothing when it had not
    /// connected yet, and otherwise runs its LISTEN to the answer, then
    /// UNLISTEN and the statement that waits for it: the three statements
    /// the server runs, all counted. (A LISTEN cut off in flight could
    /// run in the server uncounted: one statement counted of three.) The
    /// stream ends at varied moments, from at once to after the LISTEN.
    @Test func aListenerStoppedEarlyCountsWhatTheServerRan() async throws {
        let store = try await emptyStore()
        for wait in [0, 1, 2, 5, 10, 20, 50, 100, 200, 400] {
            let before = store.statements
            var notices: AsyncStream<SourceWriteNotice>? = store.writeNotices()
            for _ in 0..<wait { await Task.yield() }
            notices = nil
            _ = notices
            let listener = try #require(store.listeners.withLock { $0.last })
            await listener.value
            #expect([0, 3].contains(store.statements - before), "ended after \(wait) yields")
        }
        await store.close()
    }

    @Test func noticesCarryTheVersionAndTheAttributes() {
        let payload = PostgresSource.payload(snapshot: 42, attributes: [Keyword("p/age"), Keyword("p/name")])
        #expect(payload == "42 p/age p/name")
        #expect(PostgresSource.notice(payload) == SourceWriteNotice(snapshot: 42, attributes: [Keyword("p/age"), Keyword("p/name")]))
        let many = Set((0..<2000).map { Keyword("p/attribute\($0)") })
        #expect(PostgresSource.payload(snapshot: 7, attributes: many) == "7 *")
        #expect(PostgresSource.notice("7 *") == SourceWriteNotice(snapshot: 7, attributes: []))
        #expect(PostgresSource.notice("hello") == nil && PostgresSource.notice("7") == nil)
    }
}
#endif
