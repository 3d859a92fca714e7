/// The distinct values of some columns of a batch, as a relation: the
/// input handed to a sub-plan that runs once per batch.
func distinctKeys(of batch: RowBuffer, columns: [Int], account: MemoryAccount?) throws -> RowBuffer {
    let keys = try RowBuffer(arity: columns.count, account: account)
    if columns.isEmpty {
        try keys.appendRow { _ in }
        return keys
    }
    let seen = try DedupSet(arity: columns.count, account: account)
    for r in 0..<batch.count {
        try keys.appendRow { w in w.copy(from: batch, row: r, columns: columns) }
        if !(try seen.insert(keys, row: keys.count - 1).inserted) { keys.truncate(to: keys.count - 1) }
    }
    return keys
}

/// `not` and `not-join`: keeps the input rows for which the sub-plan finds
/// nothing. Per input batch, the sub-plan runs once over the batch's
/// distinct join keys; the keys it returns are removed.
final class AntiJoin: Operator {
    let joinColumns: [Int]
    let subplanInput: RelationScan
    let subplan: Operator
    private let account: MemoryAccount?
    private let output: RowBuffer

    init(input: Operator, joinVariables: [String], subplanInput: RelationScan, subplan: Operator,
         account: MemoryAccount?) throws {
        joinColumns = joinVariables.map { input.columns.firstIndex(of: $0)! }
        self.subplanInput = subplanInput
        self.subplan = subplan
        self.account = account
        output = try RowBuffer(arity: input.columns.count, account: account)
        super.init(columns: input.columns, inputs: [input, subplan], estimatedRows: input.estimatedRows / 2)
    }

    override var detail: String { "[" + joinColumns.map { columns[$0] }.joined(separator: " ") + "]" }

    override func reset() {
        inputs[0].reset()
        output.removeAll()
    }

    override func produce() throws -> RowBuffer? {
        guard let batch = try inputs[0].next() else { return nil }
        subplanInput.relation = try distinctKeys(of: batch, columns: joinColumns, account: account)
        subplan.reset()
        let found: DedupSet? = joinColumns.isEmpty ? nil : try DedupSet(arity: joinColumns.count, account: account)
        var anyFound = false
        let keyIndexes = Array(0..<joinColumns.count)
        // One single-row buffer holds each key in turn, found or probed.
        let key = try RowBuffer(arity: joinColumns.count, account: account)
        while let rows = try subplan.next() {
            anyFound = true
            guard let found else { break }
            for r in 0..<rows.count {
                key.removeAll()
                try key.appendRow { w in w.copy(from: rows, row: r, columns: keyIndexes) }
                _ = try found.insert(key, row: 0)
            }
        }
        output.removeAll()
        for r in 0..<batch.count {
            if let found {
                key.removeAll()
                try key.appendRow { w in w.copy(from: batch, row: r, columns: joinColumns) }
                if found.firstIndex(of: key, row: 0) != nil { continue }
            } else if anyFound {
                continue
            }
            try output.append(copyOf: r, from: batch)
        }
        return output
    }
}

/// `or`, `or-join` and calls of non-recursive rules: per input batch, each
/// branch runs over the batch's distinct values of the bound join
/// variables; the union of what the branches bind (deduplicated) is joined
/// back to the batch.
final class UnionJoin: Operator {
    let label: String
    let boundColumns: [Int]
    let newVariables: [String]
    let branches: [(input: RelationScan, plan: Operator, project: [Int])]
    private let account: MemoryAccount?
    private let output: RowBuffer

    /// - Parameter branches: each branch's input scan, plan, and the columns
    ///   of its output holding the bound join variables then `newVariables`.
    init(input: Operator, label: String, boundVariables: [String], newVariables: [String],
         branches: [(input: RelationScan, plan: Operator, project: [Int])], account: MemoryAccount?,
         estimatedRows: Double) throws {
        self.label = label
        boundColumns = boundVariables.map { input.columns.firstIndex(of: $0)! }
        self.newVariables = newVariables
        self.branches = branches
        self.account = account
        output = try RowBuffer(arity: input.columns.count + newVariables.count, account: account)
        super.init(columns: input.columns + newVariables, inputs: [input] + branches.map(\.plan),
                   estimatedRows: estimatedRows)
    }

    override var detail: String {
        label + " on [" + boundColumns.map { columns[$0] }.joined(separator: " ") + "]"
            + (newVariables.isEmpty ? "" : " binds [" + newVariables.joined(separator: " ") + "]")
    }

    override func reset() {
        inputs[0].reset()
        output.removeAll()
    }

    override func produce() throws -> RowBuffer? {
        guard let batch = try inputs[0].next() else { return nil }
        let keys = try distinctKeys(of: batch, columns: boundColumns, account: account)
        let width = boundColumns.count + newVariables.count
        let union = try HashTable(arity: width, keyColumns: Array(0..<boundColumns.count), account: account)
        let seen: DedupSet? = width == 0 ? nil : try DedupSet(arity: width, account: account)
        let projected = try RowBuffer(arity: width, account: account)
        var sawEmpty = false
        for branch in branches {
            branch.input.relation = keys
            branch.plan.reset()
            while let rows = try branch.plan.next() {
                for r in 0..<rows.count {
                    projected.removeAll()
                    try projected.appendRow { w in w.copy(from: rows, row: r, columns: branch.project) }
                    if let seen {
                        guard try seen.insert(projected, row: 0).inserted else { continue }
                    } else {
                        guard !sawEmpty else { continue }
                        sawEmpty = true
                    }
                    try union.insert(projected, row: 0)
                }
            }
        }
        output.removeAll()
        let inputArity = batch.arity
        let stored = union.rows
        let nb = boundColumns.count
        for r in 0..<batch.count {
            try union.forEachMatch(of: batch, row: r, columns: boundColumns) { s in
                try output.appendRow { w in
                    w.copyAll(from: batch, row: r)
                    for j in 0..<newVariables.count {
                        w.set(inputArity + j, word: stored.word(s, nb + j), tag: stored.tag(s, nb + j))
                    }
                }
            }
        }
        return output
    }
}
