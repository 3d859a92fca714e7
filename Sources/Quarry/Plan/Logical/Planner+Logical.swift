/// Building the logical form of clause lists, and printing it.
extension Planner {
    /// The logical form of `clauses` entered with `entry` bound: the
    /// analysis every rewrite reads (evaluation order, the variables `not`
    /// and `or` join on and own, sources) and the rewrites chosen
    /// (transitive closures, subquery modes and shared scans).
    func logicalList(_ clauses: [Clause], entry: Set<String>) throws -> LogicalList {
        let order = InOrder(clauses, entry: entry, rules: context.rules,
                            levels: Planner.maxNestingDepth - context.counters.planDepth)
        // Subqueries first: which run decorrelated decides which may share a scan.
        var subqueries: [Int: (NestedInputs, SubqueryJoin.Strategy, String)] = [:]
        for (i, clause) in clauses.enumerated() {
            guard case .subquery(let sq, _, _) = clause else { continue }
            let inputs = try nestedInputs(sq, label: "subquery at \(sq.position.line):\(sq.position.column)")
            let (strategy, why) = chooseStrategy(sq.query, inputs: inputs)
            subqueries[i] = (inputs, strategy, why)
        }
        let shared = sharedPrefixes(of: clauses, entry: entry,
                                    decorrelated: subqueries.compactMapValues { $0.1 == .decorrelated ? $0.0 : nil })
        var out: [LogicalClause] = []
        out.reserveCapacity(clauses.count)
        for (i, clause) in clauses.enumerated() {
            var source: String?
            var joins: [String] = []
            var rewrite = LogicalClause.Rewrite.none
            switch clause {
            case .pattern(let p):
                source = p.source
            case .not(let s, let join, _, let position):
                source = s
                joins = join ?? order.notJoins[i].sorted()
                if join == nil && joins.isEmpty {
                    let vars = clause.allVariables.sorted().joined(separator: " ")
                    throw QueryError("insufficient bindings: none of \(vars) is bound before this not "
                                     + "(bind one earlier, or use not-join)", at: position)
                }
            case .or(let s, let join, _, _):
                source = s
                joins = join ?? []
            case .rule(let s, let name, let args, let position):
                source = s
                rewrite = try ruleRewrite(name, args: args, source: s, at: position)
            case .subquery:
                let (inputs, strategy, why) = subqueries[i]!
                rewrite = .subquery(inputs, strategy, why: why, shared: shared[i])
            case .predicate, .function:
                break
            }
            out.append(LogicalClause(clause: clause, source: source, needs: order.needs[i], joins: joins, rewrite: rewrite))
        }
        return LogicalList(clauses: out, order: order)
    }

    /// How a call of rule `name` on `source` is evaluated.
    private func ruleRewrite(_ name: String, args: [Term], source: String, at position: SourcePosition) throws
        -> LogicalClause.Rewrite {
        guard let rules = context.rules[name], !rules.isEmpty else { return .none }
        try Self.checkArity(name, rules: rules, args: args, at: position)
        guard reachable(from: name).contains(name) else { return .expansion(bodies: rules.count) }
        // Over a remote replica (which holds only what was fetched) and
        // inside the rule's own bodies, the fixpoint runs.
        guard context.gate == nil, let db = context.sources[source] else { return .fixpoint }
        let identity = ObjectIdentifier(db)
        if let group = planningGroup, group.source == identity, group.rules.contains(name) { return .fixpoint }
        return closureShape(name, rules: rules).map { .closure($0) } ?? .fixpoint
    }

    /// The logical plan of a whole query, as EXPLAIN prints it: its
    /// clause lists, nested ones indented, each clause with its source,
    /// what it needs and binds, what it owns, and the rewrite chosen.
    func logicalText(_ query: Query, entry: [String]) -> String {
        var lines = ["find " + query.find.elements.map(\.text).joined(separator: " ")
                     + (query.with.isEmpty ? "" : " with " + query.with.joined(separator: " "))]
        if !entry.isEmpty { lines.append("in " + entry.joined(separator: " ")) }
        describe(query.clauses, entry: Set(entry), depth: 1, into: &lines)
        return lines.joined(separator: "\n")
    }

    private func describe(_ clauses: [Clause], entry: Set<String>, depth: Int, into lines: inout [String]) {
        let indent = String(repeating: "  ", count: depth)
        guard depth < 16 else {
            lines.append(indent + "...")
            return
        }
        guard let list = try? logicalList(clauses, entry: entry) else {
            lines.append(indent + "(not planned: see the error)")
            return
        }
        var bound = entry
        for c in list.clauses {
            var line = indent + Self.head(c.clause)
            if let s = c.source, s != "$" { line += " on " + s }
            // A plain or joins on its variables bound before it.
            let joins = if case .or(_, nil, _, _) = c.clause { c.clause.allVariables.intersection(bound).sorted() } else { c.joins }
            let needs = c.needs.subtracting(joins)
            if !needs.isEmpty { line += "; needs " + needs.sorted().joined(separator: " ") }
            let binds = c.binds.subtracting(bound)
            if !binds.isEmpty { line += "; binds " + binds.sorted().joined(separator: " ") }
            if !joins.isEmpty { line += "; joins on " + joins.joined(separator: " ") }
            if !c.locals.isEmpty { line += "; owns " + c.locals.joined(separator: " ") }
            switch c.rewrite {
            case .none: break
            case .closure(let shape):
                line += "; transitive closure of \(shape.attribute): a graph search"
            case .fixpoint: line += "; recursive: semi-naive rounds"
            case .expansion(let n): line += "; inlined: \(n) bod\(n == 1 ? "y" : "ies")"
            case .subquery(_, let strategy, _, let shared):
                line += "; \(strategy)"
                if let shared {
                    line += ", reads \(shared.clauses.count) pattern\(shared.clauses.count == 1 ? "" : "s") from a scan "
                        + "common to \(shared.group.members) subqueries"
                }
            }
            lines.append(line)
            bound.formUnion(c.binds)
            switch c.clause {
            case .not(_, _, let body, _):
                describe(body, entry: Set(joins), depth: depth + 1, into: &lines)
            case .or(_, _, let branches, _):
                for (k, branch) in branches.enumerated() {
                    lines.append(indent + "  branch \(k + 1)")
                    describe(branch, entry: Set(joins), depth: depth + 2, into: &lines)
                }
            case .subquery(let sq, _, _):
                // In the nested query's own context: its sources and rules are what its :in takes.
                guard case .subquery(let inputs, _, _, _) = c.rewrite else { break }
                Planner(context: context.nested(sources: inputs.sources, rules: inputs.rules))
                    .describe(sq.query.clauses, entry: Set(inputs.variables), depth: depth + 1, into: &lines)
            default:
                break
            }
        }
    }

    /// A clause's first words: a pattern whole, nested clauses by their head.
    private static func head(_ clause: Clause) -> String {
        switch clause {
        case .pattern(let p): "[" + p.terms.map(\.text).joined(separator: " ") + "]"
        case .predicate(let c): "[(" + ([c.name] + c.args.map(\.text)).joined(separator: " ") + ")]"
        case .function(let c, let b, _): "[(" + ([c.name] + c.args.map(\.text)).joined(separator: " ") + ") "
            + BindingText.text(b) + "]"
        case .not(_, let join, _, _): join == nil ? "not" : "not-join [" + join!.joined(separator: " ") + "]"
        case .or(_, let join, _, _): join == nil ? "or" : "or-join [" + join!.joined(separator: " ") + "]"
        case .rule(_, let name, let args, _): "(" + ([name] + args.map(\.text)).joined(separator: " ") + ")"
        case .subquery(let sq, let b, _): "subquery at \(sq.position.line):\(sq.position.column) " + BindingText.text(b)
            + " of " + sq.args.map(\.text).joined(separator: " ")
        }
    }
}
