/// Rows grouped by key columns: the build side of a hash join. The rows
/// are copied in; ``RowGroups`` finds and chains them by key.
final class HashTable {
    let rows: RowBuffer
    private let groups: RowGroups

    init(arity: Int, keyColumns: [Int], account: MemoryAccount?) throws {
        rows = try RowBuffer(arity: arity, account: account)
        groups = try RowGroups(keyColumns: keyColumns, account: account)
    }

    var count: Int { rows.count }
    var byteCount: Int { rows.byteCount + groups.byteCount }

    /// Adds every row of `batch`.
    func insert(contentsOf batch: RowBuffer) throws {
        try groups.add(batch)
        try rows.append(contentsOf: batch)
    }

    /// For each row of `batch`, a stored row whose key equals the row's
    /// `columns`, or -1; `next(_:)` walks the other matches. The vector is
    /// reused by the next call.
    func probe(_ batch: RowBuffer, columns: [Int]) throws -> CoreVector<Int64> {
        try groups.probe(batch, columns: columns)
    }

    /// Another stored row with the same key as `row`, or -1.
    @inline(__always)
    func next(_ row: Int) -> Int { groups.previous(row) }
}

/// Joins two inputs on their shared variables through a hash table built
/// on the smaller one (by the planner's estimate); the other streams.
///
/// Output columns are the left input's, then the right input's others, on
/// either build side, so the plan above does not depend on the choice.
final class HashJoin: Operator {
    let buildLeft: Bool
    private let leftKeys: [Int]
    private let rightKeys: [Int]
    private let rightExtra: [Int]
    private let account: MemoryAccount?
    private var table: HashTable?
    private let output: RowBuffer

    init(left: Operator, right: Operator, buildLeft: Bool, account: MemoryAccount?, estimatedRows: Double) throws {
        let shared = left.columns.filter { right.columns.contains($0) }
        leftKeys = shared.map { left.columns.firstIndex(of: $0)! }
        rightKeys = shared.map { right.columns.firstIndex(of: $0)! }
        rightExtra = right.columns.indices.filter { !shared.contains(right.columns[$0]) }
        self.buildLeft = buildLeft
        self.account = account
        let columns = left.columns + rightExtra.map { right.columns[$0] }
        output = try RowBuffer(arity: columns.count, account: account)
        super.init(columns: columns, inputs: [left, right], estimatedRows: estimatedRows)
        // Equal output rows come from equal pairs of input rows; a side
        // keyed by the join columns gives each row of the other at most one match.
        if let l = left.uniqueKey, let r = right.uniqueKey {
            uniqueKey = r.isSubset(of: shared) ? l : l.isSubset(of: shared) ? r : l.union(r)
        }
    }

    override var detail: String {
        let keys = leftKeys.map { inputs[0].columns[$0] }
        return "on [\(keys.joined(separator: " "))], build \(buildLeft ? "left" : "right")"
    }

    override var heldBytes: Int { output.byteCount + (table?.byteCount ?? 0) }

    override func rewind() {
        table = nil
        output.removeAll()
    }

    override func produce() throws -> RowBuffer? {
        let build = buildLeft ? inputs[0] : inputs[1]
        let probe = buildLeft ? inputs[1] : inputs[0]
        if table == nil {
            let t = try HashTable(arity: build.columns.count, keyColumns: buildLeft ? leftKeys : rightKeys,
                                  account: account)
            while let batch = try build.next() { try t.insert(contentsOf: batch) }
            table = t
        }
        guard let table, table.count > 0, let batch = try probe.next() else { return nil }
        output.removeAll()
        let matches = try table.probe(batch, columns: buildLeft ? rightKeys : leftKeys)
        guard buildLeft else {
            // The probe rows are the left ones: each widened in one pass.
            try output.appendJoined(batch, first: matches, next: table.next, stored: table.rows, columns: rightExtra)
            return output
        }
        // Locals, not properties, in the loop: a property read per row costs a retain and a release.
        let (stored, leftArity, rightExtra, output) = (table.rows, inputs[0].columns.count, self.rightExtra, self.output)
        for r in 0..<batch.count {
            var s = Int(matches[r])
            while s >= 0 {
                try output.appendRow { w in
                    w.copyAll(from: stored, row: s)
                    w.copy(from: batch, row: r, columns: rightExtra, to: leftArity)
                }
                s = table.next(s)
            }
        }
        return output
    }
}
