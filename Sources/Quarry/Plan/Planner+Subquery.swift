extension Planner {
    /// What a subquery's `:in` takes from the call's arguments.
    struct NestedInputs {
        var sources: [String: Database] = [:]
        var rules: [String: [Rule]] = [:]
        /// The nested query's input variables and the outer terms bound to them.
        var variables: [String] = []
        var arguments: [Term] = []
        /// Whether they arrive as one relation input (`[[?a ?b]]`).
        var relation = false
    }

    /// Joins a subquery clause to `op`; `keep` holds the variables needed
    /// after it. Its logical form gives what its `:in` takes (`inputs`),
    /// its mode and why, and its shared prefix if its clause list has one.
    func subqueryJoin(_ sq: Subquery, binding: Binding, to op: Operator, keep: Set<String>, inputs: NestedInputs,
                      strategy: SubqueryJoin.Strategy, why: String, shared sharedPrefix: SharedPrefix?) throws -> Operator {
        let label = "subquery at \(sq.position.line):\(sq.position.column)"
        let keys = strategy == .decorrelated ? inputs.variables : []
        let op = try projectLive(op, keep: keep.union(sq.args.compactMap(\.variable)).union(binding.variables))
        let argumentVariables = inputs.arguments.compactMap(\.variable)
        let distinctInputs = distinctEstimate(argumentVariables, rows: op.estimatedRows)
        let oneRunForAll = strategy == .decorrelated || strategy == .once
        let nestedContext = context.nested(sources: inputs.sources, rules: inputs.rules,
                                           runs: oneRunForAll ? 1 : distinctInputs)
        // The closure outlives planning (a materialized subquery plans each
        // run): it holds the account, not this planner, whose rule
        // fixpoints may hold the subquery in turn.
        let account = context.account
        let plan = { () throws -> SubqueryJoin.NestedPlan in
            let relation = try RowBuffer(arity: inputs.variables.count, account: account)
            let scan = try RelationScan(relation, columns: inputs.variables,
                                        label: inputs.relation || strategy == .decorrelated
                                            ? "all distinct outer bindings" : "one outer binding per run")
            scan.estimatedRows = oneRunForAll ? distinctInputs : 1
            // Each run's input holds distinct tuples (or just one).
            scan.clusteredBy = inputs.variables
            scan.uniqueKey = oneRunForAll ? Set(inputs.variables) : []
            let find = try Planner(context: nestedContext).planQuery(sq.query, input: scan, keys: keys)
            return (scan, find)
        }
        var nested: SubqueryJoin.NestedPlan
        var shared: SharedScan?
        var reason = why
        if strategy == .decorrelated,
           let (keysScan, read, sharedClauses) = try sharedPrefixRead(sharedPrefix, nested: inputs, over: op,
                                                                      context: nestedContext,
                                                                      estimatedInputs: distinctInputs) {
            var rest = sq.query
            rest.clauses = rest.clauses.indices.filter { !sharedClauses.contains($0) }.map { rest.clauses[$0] }
            let length = sharedClauses.count
            nested = (keysScan, try Planner(context: nestedContext).planQuery(rest, input: read, keys: keys))
            shared = read.shared
            reason += ", \(length == 1 ? "one of its patterns" : "\(length) of its patterns") \(read.label)"
        } else {
            nested = try plan()
        }
        let firstRowOnly = sq.query.keepsFirstRowOnly
        let resultColumns = nested.root.columns.count - keys.count
        let bound = try SubqueryBinding(binding, resultColumns: resultColumns, outerColumns: op.columns,
                                        firstRowOnly: firstRowOnly, label: label, at: sq.position)
        let arguments = try inputs.arguments.map { t -> SubqueryJoin.Argument in
            switch t.kind {
            case .variable(let v):
                guard let c = op.column(v) else { throw QueryError("unbound variable \(v) in subquery", at: t.position) }
                return .column(c)
            case .constant(let edn):
                return .constant(try context.space.encode(try CallEvaluator.constant(edn)))
            case .blank, .source:
                throw QueryError("expected a variable or a constant for the subquery's input", at: t.position)
            }
        }
        return try SubqueryJoin(input: op, strategy: strategy, reason: reason, arguments: arguments, nested: nested,
                                replan: plan, binding: bound, keyColumns: keys.count, shared: shared,
                                context: context, estimatedRows: op.estimatedRows)
    }

    /// The distinct rows of `op`'s columns in `live`, when it has others:
    /// a subquery runs per distinct argument tuple but joins back per outer
    /// row, so columns nobody needs any more would only repeat that work.
    private func projectLive(_ op: Operator, keep live: Set<String>) throws -> Operator {
        let columns = op.columns.filter(live.contains)
        guard columns.count < op.columns.count else { return op }
        let distinct = try Distinct(input: op, columns: columns, account: context.account, counters: context.counters)
        distinct.estimatedRows = distinctEstimate(columns, rows: op.estimatedRows)
        return distinct
    }

    func nestedInputs(_ sq: Subquery, label: String) throws -> NestedInputs {
        var out = NestedInputs()
        var args = sq.args[...]
        func next(for what: String) throws -> Term {
            guard let a = args.popFirst() else {
                throw QueryError("\(label): its :in needs an argument for \(what)", at: sq.position)
            }
            return a
        }
        for input in sq.query.inputs {
            switch input {
            case .source(let name):
                let a = try next(for: name)
                guard case .source(let outer) = a.kind else {
                    throw QueryError("\(label): expected a source for \(name), found \(a.text)", at: a.position)
                }
                out.sources[name] = try context.source(outer, at: a.position)
            case .rules:
                let a = try next(for: "%")
                guard case .constant(let edn) = a.kind, edn.symbol == "%" else {
                    throw QueryError("\(label): expected % for the rules input", at: a.position)
                }
                out.rules = context.rules
            case .binding(.variable(let v)):
                let a = try next(for: v)
                out.variables.append(v)
                out.arguments.append(a)
            case .binding(.collection(.tuple(let items))) where !out.relation && out.variables.isEmpty:
                // A relation input: the engine passes all outer bindings at once.
                for item in items {
                    guard case .variable(let v) = item else {
                        throw QueryError("\(label): a relation input holds variables only", at: sq.position)
                    }
                    out.variables.append(v)
                    out.arguments.append(try next(for: v))
                }
                out.relation = true
            default:
                throw QueryError("\(label): an :in binding takes a scalar (?x) or one relation ([[?a ?b]])",
                                 at: sq.position)
            }
        }
        if let extra = args.first {
            throw QueryError("\(label): \(sq.args.count) arguments given, its :in takes \(sq.args.count - args.count)",
                             at: extra.position)
        }
        if Set(out.variables).count != out.variables.count {
            throw QueryError("\(label): an input variable appears twice in :in", at: sq.position)
        }
        return out
    }

    /// The strategy for a subquery, and why (EXPLAIN prints both).
    func chooseStrategy(_ q: Query, inputs: NestedInputs) -> (SubqueryJoin.Strategy, String) {
        if inputs.relation { return (.once, "relation input, one run over all outer bindings") }
        let blocker = decorrelationBlocker(q)
        switch context.subqueryMode {
        case .materialized: return (.materialized, "every run kept, combined at the end")
        case .streaming: return (.streaming, "one run per distinct outer binding, one result alive")
        case .decorrelated, .auto:
            if let blocker { return (.streaming, "not decorrelated: \(blocker)") }
            let keys = inputs.variables.joined(separator: " ")
            return (.decorrelated, "one run grouped by [\(keys)]")
        }
    }

    /// Why grouping by the inputs would not give each run's own result, if so.
    private func decorrelationBlocker(_ q: Query) -> String? {
        if q.limit != nil { return ":limit applies per run" }
        if !q.orderBy.isEmpty { return ":order-by applies per run" }
        let elements = q.find.elements
        switch q.find {
        case .scalar, .tuple:
            if !elements.allSatisfy(\.isAggregate) { return "the find form keeps one row per run" }
        case .relation, .collection:
            break
        }
        if elements.contains(where: { if case .aggregate(let n, _, _, _) = $0 { n == "rand" || n == "sample" } else { false } }) {
            return "rand and sample depend on each run's order"
        }
        return nil
    }
}
