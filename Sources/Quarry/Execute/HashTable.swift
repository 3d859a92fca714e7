/// Rows grouped by key columns: the build side of a hash join.
///
/// Keys go through the core's dedup table (each distinct key gets a dense
/// id), a whole batch at a time with its prefetching insert and lookup;
/// rows with the same key are chained through two vectors in engine
/// memory, so the whole table is flat and accounted. Zero key columns put
/// every row under one key (a Cartesian product).
final class HashTable {
    let rows: RowBuffer
    let keyColumns: [Int]
    private let keys: DedupSet?
    private let batchKeys: RowBuffer
    private let keyIDs: CoreVector<UInt64>
    private let fresh: CoreVector<UInt8>
    private let found: CoreVector<Int64>
    private let heads: CoreVector<Int32>
    private let nextRow: CoreVector<Int32>

    init(arity: Int, keyColumns: [Int], account: MemoryAccount?) throws {
        self.rows = try RowBuffer(arity: arity, account: account)
        self.keyColumns = keyColumns
        self.keys = keyColumns.isEmpty ? nil : try DedupSet(arity: keyColumns.count, account: account)
        self.batchKeys = try RowBuffer(arity: keyColumns.count, account: account)
        self.keyIDs = CoreVector(account: account)
        self.fresh = CoreVector(account: account)
        self.found = CoreVector(account: account)
        self.heads = CoreVector(account: account)
        self.nextRow = CoreVector(account: account)
    }

    var count: Int { rows.count }
    var byteCount: Int {
        rows.byteCount + (keys?.byteCount ?? 0) + batchKeys.byteCount + keyIDs.byteCount + fresh.byteCount
            + found.byteCount + heads.byteCount + nextRow.byteCount
    }

    /// Adds every row of `batch`.
    func insert(contentsOf batch: RowBuffer) throws {
        guard batch.count > 0 else { return }
        let first = rows.count
        guard first + batch.count <= Int(Int32.max) else {
            throw QueryError("a hash join's build side passed \(Int32.max) rows")
        }
        try rows.append(contentsOf: batch)
        if let keys {
            batchKeys.removeAll()
            try batchKeys.append(columns: keyColumns, of: batch)
            try keys.insertAll(batchKeys, indices: keyIDs, fresh: fresh)
        } else if heads.count == 0 {
            try heads.append(-1)
        }
        try nextRow.reserve(rows.count)
        for r in 0..<batch.count {
            let k = keys == nil ? 0 : Int(keyIDs[r])
            if k == heads.count { try heads.append(-1) }
            try nextRow.append(heads[k])
            heads[k] = Int32(first + r)
        }
    }

    /// For each row of `batch`, the first stored row whose key equals the
    /// row's `columns`, or -1; `next(_:)` walks the other matches. The
    /// vector is reused by the next call.
    func probe(_ batch: RowBuffer, columns: [Int]) throws -> CoreVector<Int64> {
        if let keys {
            batchKeys.removeAll()
            try batchKeys.append(columns: columns, of: batch)
            try keys.findAll(batchKeys, into: found)
            for r in 0..<batch.count where found[r] >= 0 { found[r] = Int64(heads[Int(found[r])]) }
        } else {
            try found.resize(to: batch.count)
            let head = heads.count == 0 ? -1 : Int64(heads[0])
            for r in 0..<batch.count { found[r] = head }
        }
        return found
    }

    /// The stored row after `row` with the same key, or -1.
    @inline(__always)
    func next(_ row: Int) -> Int { Int(nextRow[row]) }
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
            while let batch = try build.next() { try t.insert(contentsOf: batch) }
            table = t
        }
        guard let table, table.count > 0, let batch = try probe.next() else { return nil }
        output.removeAll()
        let matches = try table.probe(batch, columns: buildLeft ? rightKeys : leftKeys)
        let (stored, leftArity) = (table.rows, inputs[0].columns.count)
        for r in 0..<batch.count {
            var s = Int(matches[r])
            while s >= 0 {
                if buildLeft {
                    try output.appendRow { w in
                        w.copyAll(from: stored, row: s)
                        w.copy(from: batch, row: r, columns: rightExtra, to: leftArity)
                    }
                } else {
                    try output.appendRow { w in
                        w.copyAll(from: batch, row: r)
                        w.copy(from: stored, row: s, columns: rightExtra, to: leftArity)
                    }
                }
                s = table.next(s)
            }
        }
        return output
    }
}

/// Keeps the first occurrence of each row of the chosen columns: the
/// projection to a set, through the core's dedup table.
final class Distinct: Operator {
    private let keep: [Int]
    private let seen: RowDeduper
    private let output: RowBuffer

    init(input: Operator, columns: [String], account: MemoryAccount?) throws {
        keep = columns.map { input.columns.firstIndex(of: $0)! }
        seen = try RowDeduper(arity: columns.count, account: account)
        output = try RowBuffer(arity: columns.count, account: account)
        super.init(columns: columns, inputs: [input], estimatedRows: input.estimatedRows)
    }

    override var detail: String { "[" + columns.joined(separator: " ") + "]" }
    override var heldBytes: Int { output.byteCount + seen.byteCount }

    override func rewind() { seen.removeAll() }

    override func produce() throws -> RowBuffer? {
        guard let batch = try inputs[0].next() else { return nil }
        output.removeAll()
        try output.append(columns: keep, of: batch)
        try seen.keepNew(output)
        return output
    }
}
