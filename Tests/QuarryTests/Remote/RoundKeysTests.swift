import Quarry
import Testing

/// What a remote round asks for: the attributes the plan reads enough of,
/// whole and at once; otherwise keys up to the count that makes the whole
/// attribute the better request, and no more.
@Suite struct RoundKeysTests {
    /// 100 entities, each with `:item/n` and `:item/w`.
    static func store() throws -> Database {
        let items = (1...100).map { "{:db/id \($0) :item/n \($0) :item/w \($0 * 10)}" }
        return try Database.load(edn: "[" + items.joined(separator: " ") + "]")
    }

    static let query = "[:find ?n ?w :where [?e :item/n ?n] [?e :item/w ?w]]"

    /// The same 100 entities of kind `:kind/a`, and 98 more of a kind each:
    /// the source's figures (99 kinds) estimate 2 entities per kind, where
    /// `:kind/a` has 100.
    static func skewedStore() throws -> Database {
        let items = (1...100).map { "{:db/id \($0) :item/kind :kind/a :item/w \($0 * 10)}" }
            + (101...198).map { "{:db/id \($0) :item/kind :kind/k\($0)}" }
        return try Database.load(edn: "[" + items.joined(separator: " ") + "]")
    }

    static let skewedQuery = "[:find ?w :where [?e :item/kind :kind/a] [?e :item/w ?w]]"

    static func materialized(_ db: Database) -> RemoteDatabase {
        RemoteDatabase(materializer: Materializer(source: LatencySource(wrapping: db, roundTrip: .zero)))
    }

    /// The request lines of phase `n`.
    static func phase(_ n: Int, of result: QueryResult) -> [String] {
        result.stats.remote?.requests.filter { $0.hasPrefix("phase \(n):") } ?? []
    }

    /// Whether the run was remote and planned no attribute whole.
    static func plannedNothingWhole(_ result: QueryResult) -> Bool {
        !(result.stats.remote?.requests.contains { $0.contains("planned") } ?? true)
    }

    /// Checks a run that found `:item/w`'s keys as the executor
    /// reached them: nothing planned whole, and in phase 2 half of the
    /// attribute's 100 entities recorded and the whole attribute fetched,
    /// in two round trips.
    static func expectKeysFoundAsReached(_ result: QueryResult, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(plannedNothingWhole(result), sourceLocation: sourceLocation)
        let phase = phase(2, of: result)
        #expect(phase.count == 1 && phase[0].contains("full: 50 keys of the attribute's 100"), "\(phase)",
                sourceLocation: sourceLocation)
        #expect(result.stats.remote?.roundTrips == 2, sourceLocation: sourceLocation)
    }

    @Test func attributesThePlanReadsEnoughOfAreFetchedWholeInTheFirstPhase() async throws {
        let result = try await Self.materialized(try Self.store()).query(Self.query)
        #expect(result.rows.count == 100)
        let phase = Self.phase(1, of: result)
        #expect(phase.contains { $0.contains(":item/n whole, planned: the plan reads all of it") }, "\(phase)")
        #expect(phase.contains { $0.contains(":item/w whole, planned: the plan looks up about 100 of its 100 keys") },
                "\(phase)")
        // Both attributes travel in one request, and nothing is left for a second phase.
        #expect(result.stats.remote?.roundTrips == 1)
        #expect(Self.phase(2, of: result).isEmpty)
    }

    /// A subquery run once per outer binding looks up one key a run; over
    /// its 100 runs, all of the attribute: planned whole in the first
    /// phase in every mode, not found run by run in a phase of its own.
    @Test(arguments: [SubqueryMode.streaming, .materialized, .decorrelated, .auto])
    func aSubqueryRunPerBindingPlansItsAttributeFromAllItsRuns(mode: SubqueryMode) async throws {
        let query = """
            [:find ?n ?total :where [?e :item/n ?n]
             [(q [:find (sum ?w) :in $ ?x :where [?x :item/w ?w]] $ ?e) [[?total]]]]
            """
        let result = try await Self.materialized(try Self.store()).query(query, options: QueryOptions(subqueries: mode))
        let expected: Set<[Value]> = Set((1...100).map { (n: Int64) -> [Value] in [.int(n), .int(n * 10)] })
        #expect(Set(result.rows) == expected)
        let phase = Self.phase(1, of: result)
        #expect(phase.contains { $0.contains(":item/w whole, planned: the plan looks up about 100 of its 100 keys") },
                "\(mode): \(phase)")
        #expect(result.stats.remote?.roundTrips == 1, "\(mode): \(result.stats.remote?.requests ?? [])")
        #expect(Self.phase(2, of: result).isEmpty)
    }

    @Test func aRoundStopsRecordingKeysOnceTheWholeAttributeServesBetter() async throws {
        let result = try await Self.materialized(try Self.skewedStore()).query(Self.skewedQuery)
        #expect(result.rows.count == 100)
        // The plan expected 2 keys of `:item/w`, so nothing was planned
        // whole; the cap on recorded keys fetched the attribute whole.
        Self.expectKeysFoundAsReached(result)
    }

    @Test func withoutPlanningKeysAreFoundAsTheExecutorReachesThem() async throws {
        let options = Materializer.Options(planWholeAttributes: false)
        let source = LatencySource(wrapping: try Self.store(), roundTrip: .zero)
        let result = try await RemoteDatabase(materializer: Materializer(source: source, options: options)).query(Self.query)
        #expect(result.rows.count == 100)
        Self.expectKeysFoundAsReached(result)
    }

    @Test func aWholeAttributeIsPlannedOnlyWhenItFitsTheBudget() async throws {
        // 2,000 datoms of about 28 bytes each on the wire: planned whole
        // without a budget, but not when a quarter of the budget is less.
        let items = (1...2000).map { "{:db/id \($0) :item/n \($0)}" }
        let store = try Database.load(edn: "[" + items.joined(separator: " ") + "]")
        let query = "[:find (count ?n) . :where [?e :item/n ?n]]"
        let free = try await Self.materialized(store).query(query)
        #expect(free.stats.remote?.requests.contains { $0.contains(":item/n whole, planned") } == true)
        let tight = try await Self.materialized(store).query(query, options: QueryOptions(memoryLimitBytes: 200_000))
        #expect(tight.rows == [[.int(2000)]])
        #expect(Self.plannedNothingWhole(tight), "\(tight.stats.remote!.requests)")
    }

    @Test func withoutTheMaterializerEveryKeyIsAskedFor() async throws {
        let remote = RemoteDatabase(unmaterialized: LatencySource(wrapping: try Self.store(), roundTrip: .zero))
        let result = try await remote.query(Self.query)
        #expect(result.rows.count == 100)
        let phase = Self.phase(2, of: result)
        #expect(phase.count == 1 && phase[0].contains("100 keys"), "\(phase)")
    }
}
