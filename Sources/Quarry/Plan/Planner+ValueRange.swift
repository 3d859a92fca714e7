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
        guard context.gate == nil, db.plannedFigures == nil, p.terms.count >= 3, case .constant(let a) = p.terms[1].kind,
              let attribute = a.keyword.flatMap(db.attributeID), let index = db.attributeIndexes[attribute],
              let (domain, constants, used) = comparedRange(of: p) else { return nil }
        var bounds = ValueBounds(domain: domain)
        for (value, lower) in constants {
            if lower { bounds.atLeast(value) } else { bounds.atMost(value) }
        }
        let stretches = bounds.stretches
        let text = used.map { "(\($0.name) \($0.args.map(\.text).joined(separator: " ")))" }.joined(separator: " ")
        return (ValueRangeScan(stretches: stretches, comparisons: text), index.count(within: stretches))
    }

    /// In a remote query's round, the range the comparisons of `p`'s value
    /// with constants allow, for the source to filter the pattern's scan
    /// by (empty: none). Inclusive at both ends, whatever the comparisons'
    /// strictness: the comparisons still run on what is fetched.
    func pushedFilter(of p: Pattern, db: Database) -> ScanFilter {
        guard context.gate != nil, context.isPrimary(db), p.terms.count >= 3, case .constant = p.terms[1].kind,
              let (_, constants, _) = comparedRange(of: p) else { return ScanFilter() }
        var filter = ScanFilter()
        for (value, lower) in constants {
            let end = ScanFilter.Bound(value, inclusive: true)
            filter = filter.intersection(lower ? ScanFilter(lower: end) : ScanFilter(upper: end))
        }
        return filter
    }

    /// The comparisons with constants (open predicates, built in) that
    /// bound the value of `p`, all in one domain: each constant, and
    /// whether it bounds from below; nil when none does.
    private func comparedRange(of p: Pattern) -> (ValueBounds.Domain, [(value: Value, lower: Bool)], [Call])? {
        guard p.terms.count >= 3, let v = p.terms[2].variable,
              p.terms[0].variable != v, p.terms.count < 4 || p.terms[3].variable != v else { return nil }
        var domain: ValueBounds.Domain?
        var bounds: [(value: Value, lower: Bool)] = []
        var used: [Call] = []
        for call in openPredicates {
            guard let (constants, position) = comparison(call, on: v) else { continue }
            guard let first = constants.lazy.compactMap({ ValueBounds.domain(of: $0.value) }).first else { continue }
            if domain == nil { domain = first }
            // Bounds of two domains (a number and an instant) leave nothing; the comparisons will say so.
            guard domain == first, constants.allSatisfy({ ValueBounds.domain(of: $0.value) == first }) else { continue }
            // `<` and `<=` rise along the arguments, `>` and `>=` fall.
            let rising = call.name.hasPrefix("<")
            for (i, c) in constants { bounds.append((c, (i < position) == rising)) }
            used.append(call)
        }
        guard let domain, !used.isEmpty else { return nil }
        return (domain, bounds, used)
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
