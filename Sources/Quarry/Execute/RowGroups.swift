/// Rows grouped by the values of some of their columns: each distinct key
/// gets a dense id through the core's dedup table (a batch at a time, with
/// its prefetching insert and lookup), and the rows of one key are chained
/// through two vectors in engine memory. The grouped rows themselves stay
/// where they are; groups only know their positions. Zero key columns put
/// every row in one group.
///
/// The build side of a hash join and the grouping of aggregates.
final class RowGroups {
    let keyColumns: [Int]
    private let keys: DedupSet?
    private let batchKeys: RowBuffer
    private let keyIDs: CoreVector<UInt64>
    private let fresh: CoreVector<UInt8>
    private let found: CoreVector<Int64>
    /// Per group: its last row, or -1.
    private let heads: CoreVector<Int32>
    /// Per row: the group's row before it, or -1.
    private let previous: CoreVector<Int32>
    /// For one integer key column whose values lie close together (entity
    /// ids: a hash join on `?c`), each group's last row addressed by
    /// `key - denseBase`: a probe is a subtraction and one read instead of
    /// hashing. Built at the first probe, dropped when rows are added.
    private var dense: CoreVector<Int32>?
    private var denseBase: Int64 = 0
    private var denseChecked = false
    private let account: MemoryAccount?

    init(keyColumns: [Int], account: MemoryAccount?) throws {
        self.keyColumns = keyColumns
        keys = keyColumns.isEmpty ? nil : try DedupSet(arity: keyColumns.count, account: account)
        batchKeys = try RowBuffer(arity: keyColumns.count, account: account)
        keyIDs = CoreVector(account: account)
        fresh = CoreVector(account: account)
        found = CoreVector(account: account)
        heads = CoreVector(account: account)
        previous = CoreVector(account: account)
        self.account = account
    }

    var groupCount: Int { heads.count }
    /// Whether the last probe found its keys by address (for tests).
    var isDirectAddressed: Bool { dense != nil }
    var rowCount: Int { previous.count }
    var byteCount: Int {
        (keys?.byteCount ?? 0) + batchKeys.byteCount + keyIDs.byteCount + fresh.byteCount + found.byteCount
            + heads.byteCount + previous.byteCount + (dense?.byteCount ?? 0)
    }

    /// Adds rows `rows` of `buffer` (all by default) as the next rows of the
    /// grouped relation, numbered from `rowCount` on.
    func add(_ buffer: RowBuffer, rows: Range<Int>? = nil) throws {
        let rows = rows ?? 0..<buffer.count
        guard !rows.isEmpty else { return }
        dense = nil
        denseChecked = false
        let first = rowCount
        guard first + rows.count <= Int(Int32.max) else {
            throw QueryError("a grouping passed \(Int32.max) rows")
        }
        if let keys {
            batchKeys.removeAll()
            try batchKeys.append(columns: keyColumns, of: buffer, rows: rows)
            try keys.insertAll(batchKeys, indices: keyIDs, fresh: fresh)
        } else if heads.count == 0 {
            try heads.append(-1)
        }
        try previous.reserve(first + rows.count)
        for i in 0..<rows.count {
            let k = keys == nil ? 0 : Int(keyIDs[i])
            if k == heads.count { try heads.append(-1) }
            try previous.append(heads[k])
            heads[k] = Int32(first + i)
        }
    }

    /// Makes room for `groups` keys without the table growing on the way.
    func reserve(groups: Int) throws {
        try keys?.reserve(groups)
        try heads.reserve(groups)
    }

    /// Adds every row of a whole relation, in slices that bound the scratch.
    func add(all buffer: RowBuffer) throws {
        var start = 0
        while start < buffer.count {
            let end = min(buffer.count, start + Operator.batchSize * 4)
            try add(buffer, rows: start..<end)
            start = end
        }
    }

    /// For each row of `batch`, the last grouped row whose key equals the
    /// row's `columns`, or -1; `previous(_:)` walks the group's other rows.
    /// The vector is reused by the next call.
    func probe(_ batch: RowBuffer, columns: [Int]) throws -> CoreVector<Int64> {
        if !denseChecked { try buildDense() }
        if let dense {
            try found.resize(to: batch.count)
            let column = columns[0], span = UInt64(dense.count)
            for r in 0..<batch.count {
                let offset = UInt64(bitPattern: Int64(bitPattern: batch.word(r, column)) &- denseBase)
                found[r] = batch.tag(r, column) == ValueTag.int.rawValue && offset < span ? Int64(dense[Int(offset)]) : -1
            }
        } else if let keys {
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

    /// The most slots per group the direct-address table may spend: past
    /// it, keys spread too thin and the hash table is the smaller.
    private static let denseSlotsPerGroup: Int64 = 4

    /// Builds ``dense`` when there is one key column, every key is an
    /// integer, and the keys span few enough values.
    private func buildDense() throws {
        denseChecked = true
        guard let keys, keyColumns.count == 1, groupCount > 0 else { return }
        var low = Int64.max, high = Int64.min
        for g in 0..<groupCount {
            guard keys.tag(row: g, column: 0) == .int else { return }
            let k = Int64(bitPattern: keys.word(row: g, column: 0))
            low = min(low, k)
            high = max(high, k)
        }
        let (span, overflow) = high.subtractingReportingOverflow(low)
        guard !overflow, span < Int64(groupCount) * Self.denseSlotsPerGroup + 64 else { return }
        let slots = CoreVector<Int32>(account: account)
        try slots.resize(to: Int(span) + 1)
        for i in 0..<slots.count { slots[i] = -1 }
        for g in 0..<groupCount { slots[Int(Int64(bitPattern: keys.word(row: g, column: 0)) - low)] = heads[g] }
        dense = slots
        denseBase = low
    }

    /// The last row of group `g` (groups are numbered by first appearance).
    @inline(__always)
    func last(ofGroup g: Int) -> Int { Int(heads[g]) }

    /// The row of the same group before `row`, or -1.
    @inline(__always)
    func previous(_ row: Int) -> Int { Int(previous[row]) }

    /// The rows of group `g`, in the order they were added.
    func rows(ofGroup g: Int) -> [Int] {
        var out: [Int] = []
        rows(ofGroup: g, into: &out)
        return out
    }

    /// The rows of group `g`, in the order they were added, replacing the
    /// contents of `out` (a buffer reused across groups).
    func rows(ofGroup g: Int, into out: inout [Int]) {
        rows(ofGroupEndingAt: last(ofGroup: g), into: &out)
    }

    /// The rows of the group whose last row is `last` (as ``probe(_:columns:)``
    /// finds it; none for -1), in the order they were added, replacing the
    /// contents of `out`.
    func rows(ofGroupEndingAt last: Int, into out: inout [Int]) {
        out.removeAll(keepingCapacity: true)
        var r = last
        while r >= 0 {
            out.append(r)
            r = previous(r)
        }
        out.reverse()
    }
}
