/// A correlated subquery joined to its outer rows, in one of four ways:
///
/// - `streaming`: per outer batch, the distinct argument tuples (through
///   the dedup table); each pull runs the nested plan for the next one and
///   joins its result to the outer rows that have it. One result is alive
///   at a time.
/// - `materialized`: the baseline. Every distinct argument tuple of the
///   whole outer relation gets its own freshly planned run; every result is
///   kept, then all are copied into one relation that is joined at the end.
/// - `decorrelated`: one run of the nested plan, grouped by its inputs,
///   over the relation of all distinct argument tuples; the result is
///   grouped by those keys and joined back.
/// - `once`: the nested query takes a relation input, so it runs once over
///   all distinct argument tuples and every outer row sees the whole result.
final class SubqueryJoin: Operator {
    enum Strategy: String { case streaming, materialized, decorrelated, once }

    /// Where each argument of the call comes from.
    enum Argument {
        case column(Int)
        case constant(EncodedValue)
    }

    /// A planned nested query: its input relation and its find rows.
    typealias NestedPlan = (input: RelationScan, root: Operator)

    let strategy: Strategy
    let reason: String
    private let arguments: [Argument]
    private let nested: NestedPlan
    /// A fresh plan per run (materialized).
    private let replan: () throws -> NestedPlan
    private let binding: SubqueryBinding
    /// Key columns leading the nested result (decorrelated).
    private let keyColumns: Int
    /// Decorrelated: leading patterns evaluated once for several subqueries.
    private let shared: SharedScan?
    private let context: ExecutionContext
    private let output: RowBuffer
    private let keys: RowBuffer
    private let runInput: RowBuffer

    // Streaming: the outer batch being worked through and its groups.
    private var batch: RowBuffer?
    private var groups: RowGroups?
    private var nextGroup = 0
    // The others: the whole outer relation, and the joined result.
    private var outer: RowBuffer?
    private var position = 0
    private var combined: RowBuffer?
    /// Decorrelated: the result grouped by its key columns. Materialized:
    /// the distinct keys, row k standing for run k.
    private var lookup: RowGroups?
    /// Decorrelated, instead of `lookup` when the result's rows came in
    /// the outer rows' order: per outer row, its result row or -1.
    private var inOrder: CoreVector<Int64>?
    /// Materialized: the rows of `combined` that run k made.
    private var ranges: [Range<Int>] = []
    /// Once: every row of `combined`, which each outer row sees.
    private var everyRow: [Int] = []
    /// Scratch, reused so that no array is made per run or per row: the
    /// outer rows of one run (streaming), the result rows of one outer row
    /// (decorrelated).
    private var members: [Int] = []
    /// The columns of `keys`: 0..<arguments.count.
    private let keyIndexes: [Int]
    /// Whether the outer rows' argument tuples are distinct already (the
    /// input's key lies within the argument columns, as after a
    /// `Distinct` or an earlier subquery over the same arguments): no
    /// dedup table is built for them.
    private let argumentsDistinct: Bool
    /// Whether the nested result holds at most one row per argument tuple
    /// (an aggregate per group): each outer row then makes at most one row.
    private let oneResultPerTuple: Bool
    /// The outer columns of the arguments, when every one is a column: the
    /// keys are then a projection of the outer rows.
    private let argumentColumns: [Int]?
    private let chunkKeys: RowBuffer

    init(input: Operator, strategy: Strategy, reason: String, arguments: [Argument], nested: NestedPlan,
         replan: @escaping () throws -> NestedPlan, binding: SubqueryBinding, keyColumns: Int,
         shared: SharedScan? = nil, context: ExecutionContext, estimatedRows: Double) throws {
        self.shared = shared
        self.strategy = strategy
        self.reason = reason
        self.arguments = arguments
        keyIndexes = Array(0..<arguments.count)
        self.nested = nested
        self.replan = replan
        self.binding = binding
        self.keyColumns = keyColumns
        self.context = context
        output = try RowBuffer(arity: input.columns.count + binding.newVariables.count, account: context.account)
        keys = try RowBuffer(arity: arguments.count, account: context.account)
        runInput = try RowBuffer(arity: arguments.count, account: context.account)
        chunkKeys = try RowBuffer(arity: arguments.count, account: context.account)
        let columns = arguments.compactMap { if case .column(let c) = $0 { c } else { nil } }
        argumentColumns = columns.count == arguments.count ? columns : nil
        argumentsDistinct = input.uniqueKey?.isSubset(of: Set(columns.map { input.columns[$0] })) ?? false
        // Run by run (streaming, materialized) the result has no key columns; decorrelated, they lead it.
        let resultKeys = Set(nested.root.columns.prefix(strategy == .decorrelated ? keyColumns : 0))
        oneResultPerTuple = strategy != .once && (nested.root.uniqueKey?.isSubset(of: resultKeys) ?? false)
        super.init(columns: input.columns + binding.newVariables, inputs: [input, nested.root],
                   estimatedRows: estimatedRows)
        // Each outer row making at most one row, the outer rows' key still tells the rows apart.
        if oneResultPerTuple || binding.kind == .tuple || binding.kind == .scalar || binding.firstRowOnly {
            uniqueKey = input.uniqueKey
        }
    }

    override var detail: String { "\(binding.label), \(strategy.rawValue): \(reason)" }

    override var heldBytes: Int {
        output.byteCount + keys.byteCount + runInput.byteCount + chunkKeys.byteCount + (groups?.byteCount ?? 0)
            + (outer?.byteCount ?? 0) + (combined?.byteCount ?? 0) + (lookup?.byteCount ?? 0)
    }

    /// The nested plan is not reset with the outer one: each run resets it.
    override func reset() {
        inputs[0].reset()
        rewind()
    }

    override func rewind() {
        shared?.invalidate()
        batch = nil
        groups = nil
        nextGroup = 0
        outer = nil
        position = 0
        combined = nil
        lookup = nil
        inOrder = nil
        ranges = []
        everyRow = []
    }

    override func produce() throws -> RowBuffer? {
        switch strategy {
        case .streaming: return try produceStreaming()
        case .materialized, .decorrelated, .once:
            if outer == nil { try prepareWhole() }
            return try produceWhole()
        }
    }

    // MARK: Keys

    /// Appends the argument tuple of every row of `rows` to `keys`.
    private func appendKeys(of rows: RowBuffer) throws {
        if let argumentColumns {
            try keys.append(columns: argumentColumns, of: rows)
            return
        }
        for r in 0..<rows.count {
            try keys.appendRow { w in
                for (j, a) in arguments.enumerated() {
                    switch a {
                    case .column(let c): w.set(j, word: rows.word(r, c), tag: rows.tag(r, c))
                    case .constant(let v): w.set(j, v)
                    }
                }
            }
        }
    }

    /// Runs `plan` over `input` and returns its result.
    private func run(_ plan: NestedPlan, over input: RowBuffer) throws -> RowBuffer {
        plan.input.relation = input
        context.counters.subqueryRuns += 1
        let result = try plan.root.drain(account: context.account)
        // Rewinding after the run frees what it built (hash tables) and leaves the plan ready for the next.
        plan.root.reset()
        return result
    }

    // MARK: Streaming

    private func produceStreaming() throws -> RowBuffer? {
        while groups == nil || nextGroup == groups!.groupCount {
            guard let b = try inputs[0].next() else { return nil }
            batch = b
            keys.removeAll()
            try appendKeys(of: b)
            context.counters.rowsDeduplicated += b.count
            let g = try RowGroups(keyColumns: keyIndexes, account: context.account)
            try g.add(keys)
            groups = g
            nextGroup = 0
        }
        var members = self.members
        defer { self.members = members }
        groups!.rows(ofGroup: nextGroup, into: &members)
        nextGroup += 1
        runInput.removeAll()
        try runInput.append(copyOf: members[0], from: keys)
        let result = try run(nested, over: runInput)
        output.removeAll()
        for r in members {
            try binding.emit(outer: batch!, row: r, result: result, rows: 0..<result.count, offset: 0, into: output)
        }
        return output
    }

    // MARK: Materialized, decorrelated, once

    private func prepareWhole() throws {
        let all = try inputs[0].drain(account: context.account)
        outer = all
        keys.removeAll()
        try appendKeys(of: all)
        let distinct: RowBuffer
        if argumentsDistinct {
            distinct = keys
        } else {
            distinct = try distinctKeys(of: keys, columns: keyIndexes, account: context.account)
            context.counters.rowsDeduplicated += keys.count
        }
        switch strategy {
        case .once:
            let result = try run(nested, over: distinct)
            (combined, everyRow) = (result, Array(0..<result.count))
        case .decorrelated:
            let result = try run(nested, over: distinct)
            if argumentsDistinct && oneResultPerTuple, let matched = try matchInOrder(result) {
                (combined, inOrder) = (result, matched)
            } else {
                let byKey = try RowGroups(keyColumns: Array(0..<keyColumns), account: context.account)
                if oneResultPerTuple { try byKey.reserve(groups: result.count) }
                try byKey.add(all: result)
                (combined, lookup) = (result, byKey)
            }
        case .materialized:
            // Every run kept, then all copied into one relation after the keys.
            var results: [RowBuffer] = []
            for k in 0..<distinct.count {
                runInput.removeAll()
                try runInput.append(copyOf: k, from: distinct)
                results.append(try run(try replan(), over: runInput))
            }
            let resultColumns = Array(0..<nested.root.columns.count)
            let all = try RowBuffer(arity: arguments.count + resultColumns.count, account: context.account)
            for (k, result) in results.enumerated() {
                let start = all.count
                for s in 0..<result.count {
                    try all.appendRow { w in
                        w.copyAll(from: distinct, row: k)
                        w.copy(from: result, row: s, columns: resultColumns, to: arguments.count)
                    }
                }
                ranges.append(start..<all.count)
            }
            let index = try RowGroups(keyColumns: keyIndexes, account: context.account)
            try index.add(distinct)
            (combined, lookup) = (all, index)
        case .streaming:
            break
        }
    }

    /// Per outer row, its result row (or -1), when the result holds at
    /// most one row per argument tuple and its rows come in the order of
    /// the outer rows' tuples, each distinct (a fused aggregate's groups
    /// come in the order of its input, the outer rows' own): one pass
    /// instead of a hash table. Nil when a result row is left unmatched,
    /// the sign that the orders differ.
    private func matchInOrder(_ result: RowBuffer) throws -> CoreVector<Int64>? {
        let matched = try CoreVector<Int64>(repeating: -1, count: keys.count, account: context.account)
        let width = keyColumns
        var p = 0
        for r in 0..<keys.count where p < result.count {
            if (0..<width).allSatisfy({ keys.word(r, $0) == result.word(p, $0) && keys.tag(r, $0) == result.tag(p, $0) }) {
                matched[r] = Int64(p)
                p += 1
            }
        }
        return p == result.count ? matched : nil
    }

    private func produceWhole() throws -> RowBuffer? {
        guard let outer, let combined, position < outer.count else { return nil }
        output.removeAll()
        let end = min(outer.count, position + Operator.batchSize)
        var found: CoreVector<Int64>?
        if let lookup {
            chunkKeys.removeAll()
            try chunkKeys.append(columns: keyIndexes, of: keys, rows: position..<end)
            found = try lookup.probe(chunkKeys, columns: keyIndexes)
        }
        var members = self.members
        defer { self.members = members }
        for r in position..<end {
            switch strategy {
            case .decorrelated:
                if let inOrder {
                    let s = Int(inOrder[r])
                    try binding.emit(outer: outer, row: r, result: combined, rows: s < 0 ? 0..<0 : s..<s + 1,
                                     offset: keyColumns, into: output)
                } else {
                    lookup!.rows(ofGroupEndingAt: Int(found![r - position]), into: &members)
                    try binding.emit(outer: outer, row: r, result: combined, rows: members, offset: keyColumns, into: output)
                }
            case .materialized:
                let k = Int(found![r - position])
                try binding.emit(outer: outer, row: r, result: combined, rows: k < 0 ? 0..<0 : ranges[k],
                                 offset: arguments.count, into: output)
            default:
                try binding.emit(outer: outer, row: r, result: combined, rows: everyRow, offset: 0, into: output)
            }
        }
        position = end
        return output
    }
}
