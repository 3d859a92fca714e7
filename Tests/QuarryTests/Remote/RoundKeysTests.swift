import Quarry
import Testing

/// What a remote round asks for: keys up to the count that makes the whole
/// attribute the better request, and no more.
@Suite struct RoundKeysTests {
    /// 100 entities, each with `:item/n` and `:item/w`.
    static func store() throws -> Database {
        let items = (1...100).map { "{:db/id \($0) :item/n \($0) :item/w \($0 * 10)}" }
        return try Database.load(edn: "[" + items.joined(separator: " ") + "]")
    }

    static let query = "[:find ?n ?w :where [?e :item/n ?n] [?e :item/w ?w]]"

    /// The request lines of the phase that followed the entities through their second attribute.
    static func keyedPhase(_ result: QueryResult) throws -> String {
        try #require(result.stats.remote?.requests.first { $0.hasPrefix("phase 2:") })
    }

    @Test func aRoundStopsRecordingKeysOnceTheWholeAttributeServesBetter() async throws {
        let remote = RemoteDatabase(materializer: Materializer(source: LatencySource(wrapping: try Self.store(), roundTrip: .zero)))
        let result = try await remote.query(Self.query)
        #expect(result.rows.count == 100)
        let phase = try Self.keyedPhase(result)
        // Half of the attribute's 100 entities were recorded, and the whole attribute was fetched.
        #expect(phase.contains("full: 50 keys of the attribute's 100"), "\(phase)")
        #expect(result.stats.remote?.roundTrips == 2)
    }

    @Test func withoutTheMaterializerEveryKeyIsAskedFor() async throws {
        let remote = RemoteDatabase(unmaterialized: LatencySource(wrapping: try Self.store(), roundTrip: .zero))
        let result = try await remote.query(Self.query)
        #expect(result.rows.count == 100)
        let phase = try Self.keyedPhase(result)
        #expect(phase.contains("100 keys"), "\(phase)")
    }
}
