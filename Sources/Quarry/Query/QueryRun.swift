import Foundation

/// One run of a query: binds inputs, plans, executes, shapes the result.
struct QueryRun {
    let query: Query
    let database: Database
    let inputs: [QueryInput]
    let options: QueryOptions
    let start: ContinuousClock.Instant
    /// The gate of a remote query's round; nil for a local query.
    var gate: ScanGate? = nil
    /// The planner's choices: replayed from a prepared query's first plan,
    /// or recorded for it.
    var choices = PlanChoices()

    /// Runs the query to the end.
    func run() throws -> QueryResult {
        try open().result()
    }

    /// Binds the inputs and plans: the rows are then pulled from the
    /// execution it returns.
    func open() throws -> QueryExecution {
        let interrupt = QueryInterrupt(deadline: options.deadline)
        try interrupt.check()
        let account = try MemoryAccount(limitBytes: options.memoryLimitBytes)
        let (context, find, logical) = try QueryExecution.mappingBudget(account, phase: "while planning") {
            let space = try ValueSpace(primary: database.interner, account: account)
            let context = ExecutionContext(space: space, account: account, sources: ["$": database],
                                           subqueryMode: options.subqueries,
                                           random: QueryRandom(seed: options.randomSeed))
            context.gate = gate
            context.choices = choices
            context.functions = options.functions
            return try QueryInterrupt.$current.withValue(interrupt) {
                let input = try bindInputs(context)
                let planner = Planner(context: context)
                let find = try planner.planQuery(query, input: input, keys: [])
                // The logical plan is written out only when asked for: EXPLAIN.
                let logical = options.explain || options.analyze ? planner.logicalText(query, entry: input.columns) : ""
                return (context, find, logical)
            }
        }
        choices.seal()
        options.observation.plan(Explain.text(find, analyzed: false))
        return QueryExecution(run: self, find: find, context: context, interrupt: interrupt, logical: logical)
    }

    /// Plans `query` against an empty database, with inputs of no rows and
    /// empty databases for its sources: what is wrong with the query's
    /// text (an unbound variable, an unknown function) is thrown without
    /// data. A query taking rules as an input is not planned.
    static func checkPlan(_ query: Query) throws {
        if query.inputs.contains(.rules) { return }
        let empty = try Database()
        let account = try MemoryAccount()
        let context = ExecutionContext(space: try ValueSpace(primary: empty.interner, account: account), account: account,
                                       sources: ["$": empty])
        context.defersNamespaced = true
        var columns: [String] = []
        var sawDefault = false
        for input in query.inputs {
            switch input {
            case .source("$") where !sawDefault: sawDefault = true
            case .source(let name): context.sources[name] = try Database()
            case .rules: break
            case .binding(let binding):
                for v in binding.variables {
                    if columns.contains(v) { throw QueryError("variable \(v) is bound by two inputs", at: query.position) }
                    columns.append(v)
                }
            }
        }
        let input = try RelationScan(try RowBuffer(arity: columns.count, account: account), columns: columns, label: ":in")
        _ = try Planner(context: context).planQuery(query, input: input, keys: [])
    }

    /// The result of an execution pulled to the end.
    fileprivate func result(of execution: QueryExecution) throws -> QueryResult {
        let rows = try execution.drain()
        let space = execution.context.space
        // One array for every value: an array per row was half of a large
        // result's time (an allocation each, and the pages they filled).
        var values = ResultRows(width: rows.arity, values: space.decode(all: rows), count: rows.count)
        if let pulls = PullColumns(query, sources: execution.context.sources) {
            values = try QueryInterrupt.$current.withValue(execution.interrupt) {
                ResultRows(try values.map { try pulls.apply(Array($0)) })
            }
        }
        let find = execution.find
        return QueryResult(columns: query.columnNames, rows: finalRows(values), shape: query.resultShape, keys: query.keys,
                           ordered: !query.orderBy.isEmpty, isBag: query.isBag, stats: stats(of: execution),
                           plan: options.explain || options.analyze
                               ? Explain.text(logical: execution.logical, find, analyzed: options.analyze) : "")
    }

    /// The figures of an execution so far.
    func stats(of execution: QueryExecution) -> QueryStats {
        let figures = execution.context.account?.figures
        let elapsed = ContinuousClock().now - start
        let wall = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        var operatorRows: [QueryStats.OperatorRows] = []
        collect(execution.find, into: &operatorRows)
        let counters = execution.context.counters
        return QueryStats(wallMilliseconds: wall, engineBytesPeak: figures?.bytesPeak ?? 0,
                          engineBytesNow: figures?.bytesNow ?? 0, allocations: figures?.allocations ?? 0,
                          subqueryRuns: counters.subqueryRuns, rowsDeduplicated: counters.rowsDeduplicated,
                          operatorRows: operatorRows)
    }

    private func collect(_ op: Operator, into out: inout [QueryStats.OperatorRows]) {
        out.append(.init(op: op.name, rows: op.actualRows))
        for input in op.inputs { collect(input, into: &out) }
    }

    private func finalRows(_ rows: ResultRows) -> ResultRows {
        query.keepsFirstRowOnly ? rows.prefix(rows: 1) : rows
    }

    // MARK: Inputs

    /// The relation of all `:in` bindings (their Cartesian product; one
    /// empty row when there are none), after registering sources and rules.
    private func bindInputs(_ context: ExecutionContext) throws -> Operator {
        for input in inputs {
            if case .edn(let form) = input.content { try QueryParser.checkDepth(form, what: "an input") }
        }
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
            guard let given = remaining.popFirst() else {
                throw QueryError.input("the query's :in needs \(query.inputs.count - (sawDefault ? 1 : 0)) inputs, \(inputs.count) given",
                                       at: query.position)
            }
            switch input {
            case .source(let name):
                context.sources[name] = try given.database(for: name)
            case .rules:
                for rule in try given.rules() { context.rules[rule.name, default: []].append(rule) }
            case .binding(let binding):
                let vars = binding.variables
                var assignments: [[String: EncodedValue]] = []
                do {
                    let value = try given.bindingValue(for: BindingText.text(binding))
                    try BindingText.destructure(binding, value, context: context, at: given.position, into: &assignments)
                } catch var e as QueryError {
                    e.concernsInputs = true
                    throw e
                }
                if let dup = vars.first(where: columns.contains) {
                    throw QueryError.input("variable \(dup) is bound by two inputs", at: given.position)
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
            throw QueryError.input("\(inputs.count) inputs given, but the query's :in takes \(inputs.count - remaining.count)",
                                   at: query.position)
        }
        let scan = try RelationScan(relation, columns: columns, label: columns.isEmpty ? "one empty row" : ":in")
        // A relation of at most one row is keyed by nothing.
        if relation.count <= 1 { scan.uniqueKey = [] }
        scan.isUnit = columns.isEmpty && relation.count == 1
        return scan
    }
}

extension Query {
    var columnNames: [String] {
        if let keys = keys { return keys.names }
        return find.elements.map(\.text)
    }

    /// Whether the result may repeat rows (``QueryResult/isBag``).
    var isBag: Bool {
        !with.isEmpty && !find.elements.contains(where: \.isAggregate)
    }

    /// Whether the result is the first row only: a scalar or tuple find.
    var keepsFirstRowOnly: Bool {
        switch find {
        case .scalar, .tuple: true
        case .relation, .collection: false
        }
    }

    var resultShape: QueryResult.Shape {
        switch find {
        case .relation: .relation
        case .scalar: .scalar
        case .collection: .collection
        case .tuple: .tuple
        }
    }
}

/// A planned query whose rows are pulled batch by batch: by ``QueryRun/run()``
/// to the end, or by a ``QueryCursor`` as its consumer asks.
final class QueryExecution {
    let run: QueryRun
    let find: Operator
    let context: ExecutionContext
    let interrupt: QueryInterrupt
    /// The logical plan's text, when EXPLAIN asked for it.
    let logical: String

    init(run: QueryRun, find: Operator, context: ExecutionContext, interrupt: QueryInterrupt, logical: String = "") {
        self.run = run
        self.find = find
        self.context = context
        self.interrupt = interrupt
        self.logical = logical
    }

    /// The next batch of find rows, or nil at the end; the batch is valid
    /// until the next call.
    func next() throws -> RowBuffer? {
        // Checked on every pull: a consumer pulls one batch at a time, and
        // operators check only every few batches.
        try interrupt.check()
        return try Self.mappingBudget(context.account, phase: "while collecting the rows") {
            try QueryInterrupt.$current.withValue(interrupt) { try find.next() }
        }
    }

    /// Every remaining row.
    func drain() throws -> RowBuffer {
        try Self.mappingBudget(context.account, phase: "while collecting the rows") {
            try QueryInterrupt.$current.withValue(interrupt) { try find.drain(account: context.account) }
        }
    }

    func result() throws -> QueryResult { try run.result(of: self) }

    /// Runs `body`, naming where the query's memory budget ran out if it did.
    static func mappingBudget<T>(_ account: MemoryAccount?, phase: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let e as Operator.BudgetExceeded {
            throw budgetError(account, where: "in \(e.operatorText) (\(e.operation))")
        } catch let e as CoreError where e.kind == .budgetExceeded {
            throw budgetError(account, where: "\(phase) (\(e.operation))")
        }
    }

    private static func budgetError(_ account: MemoryAccount?, where place: String) -> QueryError {
        let limit = account?.figures.limitBytes ?? 0
        return QueryError("the query's memory budget of \(limit) bytes was exceeded \(place)", exceededBudgetBytes: limit)
    }
}
