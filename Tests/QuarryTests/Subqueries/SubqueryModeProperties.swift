import Quarry
import Testing

/// Random correlated queries over random databases: an outer conjunctive
/// query, and a subquery whose input is one of the outer variables, with
/// each binding form (relation, aggregate, scalar, collection). Every mode
/// must return the same rows, including empty results and duplicate outer
/// bindings.
@Suite struct SubqueryModeProperties {
    @Test(arguments: 0..<40)
    func everyModeAgrees(seed: UInt64) throws {
        var rng = SplitMix(seed: 0xC0_55E0_0000 + seed)
        let data = RandomDatabase(using: &rng)
        let db = try Database.load(edn: data.transactionData)
        for n in 0..<10 {
            let text = Self.correlatedQuery(for: data, using: &rng)
            let results = try SubqueryMode.allCases.map { mode in
                Set(try db.query(text, options: QueryOptions(subqueries: mode)).rows)
            }
            for (mode, rows) in zip(SubqueryMode.allCases, results) {
                #expect(rows == results[1], "seed \(seed) query \(n), \(mode) vs streaming: \(text)\n\(data.transactionData)")
            }
        }
    }

    /// `[:find outer... bound... :where outer-clauses [(q nested $ ?outer) binding]]`.
    static func correlatedQuery(for data: RandomDatabase, using rng: inout SplitMix) -> String {
        let outer = RandomQuery(for: data, using: &rng)
        let inner = RandomQuery(for: data, using: &rng)
        let outerVars = Set(outer.patterns.flatMap(\.terms).compactMap { t -> Int? in
            if case .variable(let i) = t { i } else { nil }
        }).sorted()
        let innerVars = Set(inner.patterns.flatMap(\.terms).compactMap { t -> Int? in
            if case .variable(let i) = t { i } else { nil }
        }).sorted()
        let argument = outerVars.randomElement(using: &rng).map { "?v\($0)" } ?? "1"
        let input = innerVars.randomElement(using: &rng).map { "?v\($0)" } ?? "?in"
        let innerWhere = inner.patterns.map(\.text).joined(separator: " ")
        let some = "?v\(innerVars.randomElement(using: &rng) ?? 0)"
        let (find, binding): (String, String)
        switch Int.random(in: 0..<5, using: &rng) {
        case 0:
            let kept = inner.find.filter(innerVars.contains)
            let vars = kept.isEmpty ? [some] : kept.map { "?v\($0)" }
            (find, binding) = (vars.joined(separator: " "), "[[" + vars.indices.map { "?r\($0)" }.joined(separator: " ") + "]]")
        case 1: (find, binding) = ("(count \(some))", "[[?r0]]")
        case 2: (find, binding) = ("(count-distinct \(some)) .", "?r0")
        case 3: (find, binding) = ("[\(some) ...]", "[?r0 ...]")
        default: (find, binding) = ("(max \(some)) (min \(some))", "[?r0 ?r1]")
        }
        let results = binding.split(whereSeparator: { !"?r0123456789".contains($0) }).filter { $0.hasPrefix("?r") }
        let outerFind = (outer.find.filter(outerVars.contains).map { "?v\($0)" } + results.map(String.init))
            .joined(separator: " ")
        let subquery = "[(q [:find \(find) :in $ \(input) :where \(innerWhere)] $ \(argument)) \(binding)]"
        return "[:find \(outerFind) :where " + outer.patterns.map(\.text).joined(separator: " ") + " \(subquery)]"
    }
}
