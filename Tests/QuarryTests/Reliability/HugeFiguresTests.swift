import Quarry
import Testing

/// A store whose description reports every figure as large as an `Int`
/// holds (a buggy store, or another client's hand on its figures table):
/// the estimates built from them (a subquery's runs multiply them) must
/// not trap the planner, the strategy or EXPLAIN, and answers stay right.
@Suite struct HugeFiguresTests {
    private struct HugeFigures: DatomSource {
        let base: LatencySource
        /// What every figure reads.
        var figure = Int.max
        var name: String { base.name }

        func describe() async throws -> SourceDescription {
            var d = try await base.describe()
            for k in d.figures.keys {
                d.figures[k] = .init(datoms: figure, distinctEntities: figure, distinctValues: figure)
            }
            d.datoms = figure
            d.maxEntity = Int64(figure)
            return d
        }

        func scan(_ request: ScanRequest, account: MemoryAccount?) async throws -> ScanRows {
            try await base.scan(request, account: account)
        }

        func openReadSession() async throws -> any DatomReadSession { try await base.openReadSession() }
    }

    static let query = """
        [:find ?n ?total :where [?e :item/n ?n]
         [(q [:find (sum ?w) :in $ ?x :where [?x :item/w ?w] [(q [:find (max ?m) :in $ ?y :where [?y :item/n ?m]] $ ?x) [[?top]]]]
             $ ?e) [[?total]]]]
        """

    @Test(arguments: [SubqueryMode.streaming, .materialized, .decorrelated, .auto], [nil, 1 << 20] as [UInt64?])
    func estimatesPastAnIntNeitherTrapNorChangeTheAnswer(mode: SubqueryMode, budget: UInt64?) async throws {
        try await check(figure: .max, mode: mode, budget: budget)
    }

    /// A source's negative figures (a broken store) are as harmless.
    @Test(arguments: [-1, Int.min], [SubqueryMode.streaming, .decorrelated])
    func negativeFiguresNeitherTrapNorChangeTheAnswer(figure: Int, mode: SubqueryMode) async throws {
        try await check(figure: figure, mode: mode, budget: nil)
    }

    private func check(figure: Int, mode: SubqueryMode, budget: UInt64?) async throws {
        let source = HugeFigures(base: LatencySource(wrapping: try RoundKeysTests.store(), roundTrip: .zero), figure: figure)
        let db = RemoteDatabase(materializer: Materializer(source: source))
        let options = QueryOptions(analyze: true, memoryLimitBytes: budget, subqueries: mode)
        let result = try await db.query(Self.query, options: options)
        let expected: Set<[Value]> = Set((1...100).map { (n: Int64) -> [Value] in [.int(n), .int(n * 10)] })
        #expect(Set(result.rows) == expected, "\(mode)")
        #expect(!result.plan.isEmpty)
    }
}
