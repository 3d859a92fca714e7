/// Rows grouped by key columns: the build side of a hash join.
///
/// Keys go through the core's dedup table (each distinct key gets a dense
/// id); rows with the same key are chained through two vectors in engine
/// memory, so the whole table is flat and accounted. Zero key columns put
/// every row under one key (a Cartesian product).
final class HashTable {
    let rows: RowBuffer
    let keyColumns: [Int]
    private let keys: DedupSet?
    private let keyRow: RowBuffer
    private let heads: CoreVector<Int32>
    private let nextRow: CoreVector<Int32>

    init(arity: Int, keyColumns: [Int], account: MemoryAccount?) throws {
        self.rows = try RowBuffer(arity: arity, account: account)
        self.keyColumns = keyColumns
        self.keys = keyColumns.isEmpty ? nil : try DedupSet(arity: keyColumns.count, account: account)
        self.keyRow = try RowBuffer(arity: keyColumns.count, account: account)
        self.heads = CoreVector(account: account)
        self.nextRow = CoreVector(account: account)
    }

    var count: Int { rows.count }
    var byteCount: Int { rows.byteCount + (keys?.byteCount ?? 0) + heads.byteCount + nextRow.byteCount }

    func insert(_ batch: RowBuffer, row r: Int) throws {
        try rows.append(copyOf: r, from: batch)
        let index = Int32(rows.count - 1)
        let k = try keyID(insertingFrom: batch, row: r, columns: keyColumns)
        if k == heads.count { try heads.append(-1) }
        try nextRow.append(heads[k])
        heads[k] = index
    }

    private func keyID(insertingFrom batch: RowBuffer, row r: Int, columns: [Int]) throws -> Int {
        guard let keys else { return 0 }
        keyRow.removeAll()
        try keyRow.appendRow { w in w.copy(from: batch, row: r, columns: columns) }
        return try keys.insert(keyRow, row: 0).index
    }

    /// Calls `body` with each stored row whose key equals the given columns of a row.
    @inline(__always)
    func forEachMatch(of batch: RowBuffer, row r: Int, columns: [Int], _ body: (Int) throws -> Void) throws {
        var k = 0
        if let keys {
            keyRow.removeAll()
            try keyRow.appendRow { w in w.copy(from: batch, row: r, columns: columns) }
            guard let found = keys.firstIndex(of: keyRow, row: 0) else { return }
            k = found
        }
        guard k < heads.count else { return }
        var i = heads[k]
        while i >= 0 {
            try body(Int(i))
            i = nextRow[Int(i)]
        }
    }
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
            while let batch = try build.next() {
                for r in 0..<batch.count { try t.insert(batch, row: r) }
            }
            table = t
        }
        guard let table, table.count > 0, let batch = try probe.next() else { return nil }
        output.removeAll()
        let stored = table.rows
        let leftArity = inputs[0].columns.count
        for r in 0..<batch.count {
            try table.forEachMatch(of: batch, row: r, columns: buildLeft ? rightKeys : leftKeys) { s in
                let (left, lr, right, rr) = buildLeft ? (stored, s, batch, r) : (batch, r, stored, s)
                try output.appendRow { w in
                    w.copyAll(from: left, row: lr)
                    for (j, c) in rightExtra.enumerated() {
                        w.set(leftArity + j, word: right.word(rr, c), tag: right.tag(rr, c))
                    }
                }
            }
        }
        return output
    }
}

/// Keeps the first occurrence of each row of the chosen columns: the
/// projection to a set, through the core's dedup table.
final class Distinct: Operator {
    private let keep: [Int]
    private let set: DedupSet?
    private var sawEmptyRow = false
    private let output: RowBuffer
    private let account: MemoryAccount?

    init(input: Operator, columns: [String], account: MemoryAccount?) throws {
        keep = columns.map { input.columns.firstIndex(of: $0)! }
        set = columns.isEmpty ? nil : try DedupSet(arity: columns.count, account: account)
        output = try RowBuffer(arity: columns.count, account: account)
        self.account = account
        super.init(columns: columns, inputs: [input], estimatedRows: input.estimatedRows)
    }

    override var detail: String { "[" + columns.joined(separator: " ") + "]" }
    override var heldBytes: Int { output.byteCount + (set?.byteCount ?? 0) }

    override func rewind() {
        set?.removeAll()
        sawEmptyRow = false
    }

    override func produce() throws -> RowBuffer? {
        guard let batch = try inputs[0].next() else { return nil }
        output.removeAll()
        for r in 0..<batch.count {
            try output.appendRow { w in w.copy(from: batch, row: r, columns: keep) }
            let last = output.count - 1
            if let set {
                if !(try set.insert(output, row: last).inserted) { output.truncate(to: last) }
            } else if sawEmptyRow {
                output.truncate(to: last)
            } else {
                sawEmptyRow = true
            }
        }
        return output
    }
}
