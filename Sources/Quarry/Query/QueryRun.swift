import Foundation

/// One run of a query: binds inputs, plans, executes, shapes the result.
struct QueryRun {
    let query: Query
    let database: Database
    let inputs: [EDN]
    let options: QueryOptions
    let start: ContinuousClock.Instant
    /// The gate of a remote query's round; nil for a local query.
    var gate: ScanGate? = nil

    /// The error for a query stopped by its budget, `place` saying where.
    private func budgetError(_ account: MemoryAccount, where place: String) -> QueryError {
        let limit = account.figures.limitBytes
        return QueryError("the query's memory budget of \(limit) bytes was exceeded \(place)", exceededBudgetBytes: limit)
    }

    func run() throws -> QueryResult {
        let interrupt = QueryInterrupt(deadline: options.deadline)
        try interrupt.check()
        return try QueryInterrupt.$current.withValue(interrupt) { try execute() }
    }

    private func execute() throws -> QueryResult {
        let account = try MemoryAccount(limitBytes: options.memoryLimitBytes)
        let space = try ValueSpace(primary: database.interner, account: account)
        let context = ExecutionContext(space: space, account: account, sources: ["$": database],
                                       subqueryMode: options.subqueries)
        context.gate = gate
        let find: Operator
        let rows: RowBuffer
        do {
            find = try Planner(context: context).planQuery(query, input: try bindInputs(context), keys: [])
            options.observation.plan(Explain.text(find, analyzed: false))
            rows = try find.drain(account: account)
        } catch let e as Operator.BudgetExceeded {
            throw budgetError(account, where: "in \(e.operatorText) (\(e.operation))")
        } catch let e as CoreError where e.kind == .budgetExceeded {
            throw budgetError(account, where: "while planning (\(e.operation))")
        }
        let table = (0..<rows.count).map { r in (0..<rows.arity).map { rows.value(r, $0) } }
        let values = table.map { $0.map(space.decode) }
        let figures = account.figures
        let elapsed = ContinuousClock().now - start
        let wall = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        var operatorRows: [QueryStats.OperatorRows] = []
        collect(find, into: &operatorRows)
        let stats = QueryStats(wallMilliseconds: wall, engineBytesPeak: figures.bytesPeak, engineBytesNow: figures.bytesNow,
                               allocations: figures.allocations, subqueryRuns: context.counters.subqueryRuns,
                               rowsDeduplicated: context.counters.rowsDeduplicated, operatorRows: operatorRows)
        return QueryResult(columns: columnNames, rows: finalRows(values), shape: resultShape, keys: query.keys,
                           ordered: !query.orderBy.isEmpty, stats: stats,
                           plan: options.explain || options.analyze ? Explain.text(find, analyzed: options.analyze) : "")
    }

    private func collect(_ op: Operator, into out: inout [QueryStats.OperatorRows]) {
        out.append(.init(op: op.name, rows: op.actualRows))
        for input in op.inputs { collect(input, into: &out) }
    }

    private var columnNames: [String] {
        if let keys = query.keys { return keys.names }
        return query.find.elements.map(\.text)
    }

    private var resultShape: QueryResult.Shape {
        switch query.find {
        case .relation: .relation
        case .scalar: .scalar
        case .collection: .collection
        case .tuple: .tuple
        }
    }

    private func finalRows(_ rows: [[Value]]) -> [[Value]] {
        switch query.find {
        case .relation, .collection: rows
        case .scalar, .tuple: Array(rows.prefix(1))
        }
    }

    // MARK: Inputs

    /// The relation of all `:in` bindings (their Cartesian product; one
    /// empty row when there are none), after registering sources and rules.
    private func bindInputs(_ context: ExecutionContext) throws -> Operator {
        for input in inputs { try QueryParser.checkDepth(input, what: "an input") }
        var remaining = inputs[...]
        var sawDefault = false
        var relation = try RowBuffer(arity: 0, account: context.account)
        try relation.appendRow { _ in }
        var columns: [String] = []
        for input in query.inputs {
            if case .source("$") = input, !sawDefault {
                sawDefault = true
                continue
            }
            guard let edn = remaining.popFirst() else {
                throw QueryError("the query's :in needs \(query.inputs.count - (sawDefault ? 1 : 0)) inputs, \(inputs.count) given",
                                 at: query.position)
            }
            switch input {
            case .source(let name):
                context.sources[name] = try Database.fromTuples(edn)
            case .rules:
                for rule in try QueryParser.parseRules(edn) { context.rules[rule.name, default: []].append(rule) }
            case .binding(let binding):
                let value = try CallEvaluator.constant(edn)
                var assignments: [[String: EncodedValue]] = []
                try BindingText.destructure(binding, value, context: context, at: edn.position, into: &assignments)
                let vars = binding.variables
                if let dup = vars.first(where: columns.contains) {
                    throw QueryError("variable \(dup) is bound by two inputs", at: edn.position)
                }
                let next = try RowBuffer(arity: columns.count + vars.count, account: context.account)
                for r in 0..<relation.count {
                    for a in assignments {
                        try next.appendRow { w in
                            w.copyAll(from: relation, row: r)
                            for (j, v) in vars.enumerated() { w.set(relation.arity + j, a[v]!) }
                        }
                    }
                }
                relation = next
                columns += vars
            }
        }
        if !remaining.isEmpty {
            throw QueryError("\(inputs.count) inputs given, but the query's :in takes \(inputs.count - remaining.count)",
                             at: query.position)
        }
        return try RelationScan(relation, columns: columns, label: columns.isEmpty ? "one empty row" : ":in")
    }
}
