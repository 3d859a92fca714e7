/// Comparisons of a pattern's value with constants, turned into a range
/// scan: `[?p :person/salary ?s] [(> ?s 50000)]` reads the salaries above
/// 50,000 from the attribute's value order (AVET) instead of every salary,
/// and the planner counts those rows, not the attribute's, when it orders
/// the clauses. The comparisons still run after the scan (the range is a
/// superset: see ``ValueBounds``).
extension Planner {
    /// The stretches of value order a scan of `p` may keep to, the
    /// comparisons they come from, and how many datoms they hold; nil when
    /// no comparison bounds the pattern's value, or the range would not be
    /// read from a local index.
    func valueRange(of p: Pattern, db: Database) -> (scan: ValueRangeScan, count: Int)? {
        // A remote round's replica and planned figures hold no index to read a range from.
        guard context.gate == nil, db.plannedFigures == nil, p.terms.count >= 3,
              case .constant(let a) = p.terms[1].kind, let attribute = a.keyword.flatMap(db.attributeID),
              let index = db.attributeIndexes[attribute], let v = p.terms[2].variable,
              p.terms[0].variable != v, p.terms.count < 4 || p.terms[3].variable != v
        else { return nil }
        var bounds: ValueBounds?
        var used: [Call] = []
        for call in openPredicates {
            guard let (constants, position) = comparison(call, on: v) else { continue }
            guard let domain = constants.lazy.compactMap({ ValueBounds.domain(of: $0.value) }).first else { continue }
            if bounds == nil { bounds = ValueBounds(domain: domain) }
            // Bounds of two domains (a number and an instant) leave nothing; the comparisons will say so.
            guard bounds!.domain == domain, constants.allSatisfy({ ValueBounds.domain(of: $0.value) == domain })
            else { continue }
            // `<` and `<=` rise along the arguments, `>` and `>=` fall.
            let rising = call.name.hasPrefix("<")
            for (i, c) in constants {
                if (i < position) == rising { bounds!.atLeast(c) } else { bounds!.atMost(c) }
            }
            used.append(call)
        }
        guard let bounds, !used.isEmpty else { return nil }
        let stretches = bounds.stretches
        let text = used.map { "(\($0.name) \($0.args.map(\.text).joined(separator: " ")))" }.joined(separator: " ")
        return (ValueRangeScan(stretches: stretches, comparisons: text), index.count(within: stretches))
    }

    /// For a built-in comparison chain whose arguments are `v` once and
    /// otherwise constants: the constants with their positions, and `v`'s.
    private func comparison(_ call: Call, on v: String) -> ([(index: Int, value: Value)], Int)? {
        guard ["<", "<=", ">", ">="].contains(call.name), context.functions.functions[call.name] == nil,
              call.args.count >= 2, call.args.count(where: { $0.variable == v }) == 1,
              let position = call.args.firstIndex(where: { $0.variable == v })
        else { return nil }
        var constants: [(index: Int, value: Value)] = []
        for (i, t) in call.args.enumerated() where i != position {
            guard case .constant(let edn) = t.kind, let value = try? CallEvaluator.constant(edn) else { return nil }
            constants.append((i, value))
        }
        return (constants, position)
    }
}
