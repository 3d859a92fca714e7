/// The distinct values of some columns of a batch, as a relation: the
/// input handed to a sub-plan that runs once per batch.
func distinctKeys(of batch: RowBuffer, columns: [Int], account: MemoryAccount?) throws -> RowBuffer {
    let keys = try RowBuffer(arity: columns.count, account: account)
    try keys.append(columns: columns, of: batch)
    try RowDeduper(arity: columns.count, account: account).keepNew(keys)
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
        let keys = try distinctKeys(of: batch, columns: joinColumns, account: account)
        subplanInput.relation = keys
        subplan.reset()
        // The sub-plan's first columns are the join variables.
        let found = try RowDeduper(arity: joinColumns.count, account: account)
        let keyColumns = Array(0..<joinColumns.count)
        while let rows = try subplan.next() {
            keys.removeAll()
            try keys.append(columns: keyColumns, of: rows)
            try found.insert(keys)
            if found.arity == 0 { break }
        }
        keys.removeAll()
        try keys.append(columns: joinColumns, of: batch)
        output.removeAll()
        try output.append(contentsOf: batch)
        output.keep(where: try found.mark(keys, present: false))
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
        let seen = try RowDeduper(arity: width, account: account)
        let projected = try RowBuffer(arity: width, account: account)
        for branch in branches {
            branch.input.relation = keys
            branch.plan.reset()
            while let rows = try branch.plan.next() {
                projected.removeAll()
                try projected.append(columns: branch.project, of: rows)
                try seen.keepNew(projected)
                try union.insert(contentsOf: projected)
            }
        }
        output.removeAll()
        let inputArity = batch.arity
        let stored = union.rows
        let newColumns = Array(boundColumns.count..<width)
        let matches = try union.probe(batch, columns: boundColumns)
        for r in 0..<batch.count {
            var s = Int(matches[r])
            while s >= 0 {
                try output.appendRow { w in
                    w.copyAll(from: batch, row: r)
                    w.copy(from: stored, row: s, columns: newColumns, to: inputArity)
                }
                s = union.next(s)
            }
        }
        return output
    }
}
