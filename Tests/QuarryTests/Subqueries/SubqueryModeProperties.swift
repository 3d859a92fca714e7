import Quarry
import Testing

/// Random correlated queries over random databases: an outer conjunctive
/// query, and a subquery whose input is one of the outer variables, with
/// each binding form (relation, aggregate, scalar, collection, tuple);
/// sometimes a second subquery with the same argument and leading patterns
/// (a shared scan when decorrelated), sometimes a subquery nested inside
/// the first. Every mode must return the same rows, including empty
/// results and duplicate outer bindings.
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
        let outerVars = variables(of: outer)
        // A nested query with at least one variable, for its :in and :find.
        var inner = RandomQuery(for: data, using: &rng)
        while variables(of: inner).isEmpty { inner = RandomQuery(for: data, using: &rng) }
        let innerVars = variables(of: inner)
        let argument = outerVars.randomElement(using: &rng).map { "?v\($0)" } ?? "1"
        let input = innerVars.randomElement(using: &rng).map { "?v\($0)" } ?? "?in"
        var innerWhere = inner.patterns.map(\.text).joined(separator: " ")
        if rng.chance(0.25), let nested = nestedFilter(for: data, inputs: innerVars, using: &rng) {
            innerWhere += " " + nested
        }
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
        var subqueries = "[(q [:find \(find) :in $ \(input) :where \(innerWhere)] $ \(argument)) \(binding)]"
        var finds = outerFind
        if rng.chance(0.33) {
            // The same argument and leading patterns, one more pattern after them.
            let extra = RandomQuery(for: data, using: &rng).patterns.first.map { " " + $0.text } ?? ""
            let other = "?v\(innerVars.randomElement(using: &rng) ?? 0)"
            subqueries += " [(q [:find (count \(other)) :in $ \(input) :where \(innerWhere)\(extra)] $ \(argument)) [[?s0]]]"
            finds += " ?s0"
        }
        return "[:find \(finds) :where " + outer.patterns.map(\.text).joined(separator: " ") + " \(subqueries)]"
    }

    /// A subquery inside the subquery, as an existence test on one of its
    /// variables: `[(q [:find ?x :in $ ?x :where ...] $ ?vN) [[_]]]`.
    static func nestedFilter(for data: RandomDatabase, inputs: [Int], using rng: inout SplitMix) -> String? {
        let query = RandomQuery(for: data, using: &rng)
        let vars = variables(of: query)
        guard let own = vars.randomElement(using: &rng), let outer = inputs.randomElement(using: &rng) else { return nil }
        let clauses = query.patterns.map(\.text).joined(separator: " ")
        return "[(q [:find ?v\(own) :in $ ?v\(own) :where \(clauses)] $ ?v\(outer)) [[_]]]"
    }

    static func variables(of query: RandomQuery) -> [Int] {
        Set(query.patterns.flatMap(\.terms).compactMap { t -> Int? in
            if case .variable(let i) = t { i } else { nil }
        }).sorted()
    }
}
