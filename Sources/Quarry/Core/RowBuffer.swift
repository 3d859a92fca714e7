import QuarryCore

/// Rows of one arity back to back in the engine's memory, in the core's row
/// layout (N words, then N tag bytes padded to whole words).
///
/// This is the executor's unit of data: a batch flowing between operators,
/// the build side of a hash join, a materialized relation. Because the
/// layout is the core's, rows go to a ``DedupSet`` without copying. Arity 0
/// is allowed (the relation with one empty row, or none) and holds no bytes.
/// Not thread-safe.
final class RowBuffer {
    let arity: Int
    /// Bytes per row.
    let stride: Int
    private(set) var count = 0
    private var base: UnsafeMutableRawPointer?
    private var usable = 0
    let account: MemoryAccount?

    init(arity: Int, account: MemoryAccount? = nil) throws(CoreError) {
        guard arity >= 0, arity <= TupleArena.maxArity else {
            throw CoreError(status: QC_ERR_ARITY, operation: "rows of arity \(arity) (supported: 0...\(TupleArena.maxArity))")
        }
        self.arity = arity
        self.stride = arity == 0 ? 0 : qc_row_stride(UInt32(arity))
        self.account = account
    }

    deinit {
        if let base { qc_buffer_free(account?.handle, base, usable) }
    }

    var byteCount: Int { usable }

    func reserve(_ rows: Int) throws(CoreError) {
        let bytes = rows * stride
        guard bytes > usable else { return }
        var status = QC_OK
        var newUsable = 0
        guard let p = qc_buffer_grow(account?.handle, base, usable, count * stride, Swift.max(bytes, 64), &newUsable,
                                     &status)
        else { throw CoreError(status: status, operation: "grow a buffer to \(rows) rows of arity \(arity)") }
        base = p
        usable = newUsable
    }

    /// Appends one row, written by `fill`; unwritten columns are zero words
    /// with tag 0.
    @inline(__always)
    func appendRow(_ fill: (RowWriter) throws -> Void) throws {
        if stride == 0 {
            count += 1
            return
        }
        if (count + 1) * stride > usable { try reserve(Swift.max(16, count * 2)) }
        let row = base! + count * stride
        row.initializeMemory(as: UInt8.self, repeating: 0, count: stride)
        try fill(RowWriter(row: row, arity: arity))
        count += 1
    }

    /// Appends row `r` of `batch` (if given; of a smaller arity) widened by
    /// the columns `fill` writes: the join's output row. Every column the
    /// copy leaves out must be written by `fill`, since only the tag bytes
    /// are zeroed first.
    @inline(__always)
    func appendRow(extending r: Int?, of batch: RowBuffer?, _ fill: (RowWriter) throws -> Void) throws {
        if stride == 0 {
            count += 1
            return
        }
        if (count + 1) * stride > usable { try reserve(Swift.max(16, count * 2)) }
        let row = base! + count * stride
        for word in arity..<(stride / 8) { row.storeBytes(of: 0 as UInt64, toByteOffset: word * 8, as: UInt64.self) }
        let writer = RowWriter(row: row, arity: arity)
        if let r, let batch { writer.copyAll(from: batch, row: r) }
        try fill(writer)
        count += 1
    }

    /// Appends up to `rows` rows that `write` puts in place, given where
    /// the first goes (room for `rows`); it returns how many it wrote, each
    /// whole (every column and the tag bytes' padding set).
    func appendRows<R>(upTo rows: Int, _ write: (UnsafeMutableRawPointer) throws -> (written: Int, R)) throws -> R {
        precondition(stride > 0)
        try reserve(count + rows)
        let (written, result) = try write(base! + count * stride)
        precondition(written <= rows)
        count += written
        return result
    }

    /// Appends a copy of a row of a buffer of the same arity.
    func append(copyOf row: Int, from other: RowBuffer) throws(CoreError) {
        precondition(other.arity == arity)
        if stride == 0 {
            count += 1
            return
        }
        if (count + 1) * stride > usable { try reserve(Swift.max(16, count * 2)) }
        // Word by word: a row is a few words, and a call to memmove per row cost more than the copy.
        let to = base! + count * stride, from = other.rowPointer(row)
        for w in Swift.stride(from: 0, to: stride, by: 8) {
            to.storeBytes(of: from.load(fromByteOffset: w, as: UInt64.self), toByteOffset: w, as: UInt64.self)
        }
        count += 1
    }

    /// Appends every row (or `rows`) of a buffer of the same arity.
    func append(contentsOf other: RowBuffer, rows: Range<Int>? = nil) throws(CoreError) {
        precondition(other.arity == arity)
        let rows = rows ?? 0..<other.count
        precondition(rows.upperBound <= other.count)
        guard !rows.isEmpty else { return }
        if stride == 0 {
            count += rows.count
            return
        }
        try reserve(count + rows.count)
        (base! + count * stride).copyMemory(from: other.rowPointer(rows.lowerBound), byteCount: rows.count * stride)
        count += rows.count
    }

    /// Appends, for every row of `other` (or of `rows` of it), the values
    /// of `columns` in order: a projection of a whole batch, without a
    /// closure per row.
    func append(columns: [Int], of other: RowBuffer, rows: Range<Int>? = nil) throws(CoreError) {
        let rows = rows ?? 0..<other.count
        precondition(rows.lowerBound >= 0 && rows.upperBound <= other.count)
        try appendProjection(columns: columns, of: other, rows: rows)
    }

    /// Appends, for each row of `other` listed in `rowList`, the values of
    /// `columns` in order.
    func append(columns: [Int], of other: RowBuffer, rowList: [Int]) throws(CoreError) {
        precondition(rowList.allSatisfy { $0 >= 0 && $0 < other.count })
        try appendProjection(columns: columns, of: other, rows: rowList)
    }

    private func appendProjection<Rows: Collection<Int>>(columns: [Int], of other: RowBuffer,
                                                         rows: Rows) throws(CoreError) {
        precondition(columns.count == arity && columns.allSatisfy { $0 < other.arity })
        guard !rows.isEmpty else { return }
        if stride == 0 {
            count += rows.count
            return
        }
        try reserve(count + rows.count)
        let first = base! + count * stride
        // Zeroed first: the tag padding is part of the bytes a row hashes to.
        first.initializeMemory(as: UInt8.self, repeating: 0, count: rows.count * stride)
        // Pointers and widths in locals: read through `self` or `other` in
        // the loop, each would be reloaded per value.
        let tags = arity * 8, otherTags = other.arity * 8, dstStride = stride, srcStride = other.stride
        let source = UnsafeRawPointer(other.base!)
        var dst = first
        columns.withUnsafeBufferPointer { columns in
            for r in rows {
                let src = source + r &* srcStride
                for j in columns.indices {
                    let c = columns[j]
                    dst.storeBytes(of: src.load(fromByteOffset: c &* 8, as: UInt64.self), toByteOffset: j &* 8,
                                   as: UInt64.self)
                    dst.storeBytes(of: src.load(fromByteOffset: otherTags &+ c, as: UInt8.self),
                                   toByteOffset: tags &+ j, as: UInt8.self)
                }
                dst += dstStride
            }
        }
        count += rows.count
    }

    /// Appends a join's output for every row `r` of `probe`: for each
    /// stored row `s` it matches (`first[r]`, then `next(s)`, until -1),
    /// row `r` widened by the values of `columns` of `stored` row `s`. One
    /// loop over the batch, without a closure or a capacity check per row.
    func appendJoined(_ probe: RowBuffer, first: CoreVector<Int64>, next: (Int) -> Int, stored: RowBuffer,
                      columns: [Int]) throws(CoreError) {
        let n = probe.arity
        precondition(n + columns.count == arity && first.count == probe.count)
        precondition(columns.allSatisfy { $0 < stored.arity })
        guard probe.count > 0, stride > 0 else {
            for r in 0..<probe.count {
                var s = Int(first[r])
                while s >= 0 {
                    count += 1
                    s = next(s)
                }
            }
            return
        }
        // Pointers and widths in locals: through `self` each would be reloaded per row.
        let tags = arity &* 8, probeTags = n &* 8, storedTags = stored.arity &* 8
        let probeStride = probe.stride, dstStride = stride
        // Either side may have no columns of its own (arity 0: no bytes).
        let probeBase = probe.base.map(UnsafeRawPointer.init), copies = !columns.isEmpty
        try first.withElements { (first: UnsafeBufferPointer<Int64>) throws(CoreError) in
            try columns.withUnsafeBufferPointer { (columns: UnsafeBufferPointer<Int>) throws(CoreError) in
                for r in first.indices {
                    var s = Int(first[r])
                    while s >= 0 {
                        if (count + 1) &* dstStride > usable {
                            try reserve(Swift.max(16, count * 2, count + first.count - r))
                        }
                        let dst = base! + count &* dstStride
                        // Zeroed tag words first: the padding is part of the bytes a row hashes to.
                        for w in Swift.stride(from: tags, to: dstStride, by: 8) {
                            dst.storeBytes(of: 0 as UInt64, toByteOffset: w, as: UInt64.self)
                        }
                        if let probeBase {
                            let src = probeBase + r &* probeStride
                            for c in 0..<n {
                                dst.storeBytes(of: src.load(fromByteOffset: c &* 8, as: UInt64.self), toByteOffset: c &* 8,
                                               as: UInt64.self)
                                dst.storeBytes(of: src.load(fromByteOffset: probeTags &+ c, as: UInt8.self),
                                               toByteOffset: tags &+ c, as: UInt8.self)
                            }
                        }
                        let from = copies ? stored.rowPointer(s) : UnsafeRawPointer(dst)
                        for j in columns.indices {
                            let c = columns[j]
                            dst.storeBytes(of: from.load(fromByteOffset: c &* 8, as: UInt64.self), toByteOffset: (n &+ j) &* 8,
                                           as: UInt64.self)
                            dst.storeBytes(of: from.load(fromByteOffset: storedTags &+ c, as: UInt8.self),
                                           toByteOffset: tags &+ n &+ j, as: UInt8.self)
                        }
                        count += 1
                        s = next(s)
                    }
                }
            }
        }
    }

    /// Keeps the rows whose flag is non-zero, in order, and drops the rest.
    func keep(where flags: CoreVector<UInt8>) {
        precondition(flags.count == count)
        let stride = self.stride
        var kept = 0
        flags.withElements { flags in
            guard stride > 0, let base else {
                kept = flags.count { $0 != 0 }
                return
            }
            for r in flags.indices where flags[r] != 0 {
                if r != kept { (base + kept &* stride).copyMemory(from: base + r &* stride, byteCount: stride) }
                kept += 1
            }
        }
        count = kept
    }

    /// Becomes the projection to `columns` of each row of `batch` that
    /// begins a run of equal projections, but for a first one equal to the
    /// row of `last` (the projection kept last from the batch before, if
    /// any): the batch's projections with adjacent repeats removed, only
    /// those rows copied. `last` then holds the last row kept; `starts` is
    /// scratch.
    func setRunHeads(columns: [Int], of batch: RowBuffer, after last: RowBuffer, starts: inout [Int]) throws(CoreError) {
        removeAll()
        starts.removeAll(keepingCapacity: true)
        batch.appendRunStarts(columns: columns, to: &starts)
        try append(columns: columns, of: batch, rowList: starts)
        removeAdjacentRepeats(after: last.count > 0 ? last.rowPointer(0) : nil)
        guard count > 0 else { return }
        last.removeAll()
        try last.append(copyOf: count - 1, from: self)
    }

    /// Drops every row equal to the row before it (the first row is
    /// compared with `previous`, a row of the same arity, if given), keeping
    /// the order: a set's repeats that come together, removed without
    /// hashing. Rows compare as bytes, which is as values: a row's tag
    /// padding is zeros.
    func removeAdjacentRepeats(after previous: UnsafeRawPointer?) {
        guard stride > 0, let base, count > 0 else { return }
        let stride = self.stride
        var kept = 0
        var last = previous
        for r in 0..<count {
            let row = UnsafeRawPointer(base + r &* stride)
            if let last, Self.sameBytes(last, row, stride) { continue }
            if r != kept { (base + kept &* stride).copyMemory(from: row, byteCount: stride) }
            last = UnsafeRawPointer(base + kept &* stride)
            kept += 1
        }
        count = kept
    }

    /// Whether two rows of `stride` bytes (a whole number of words) are equal.
    @inline(__always)
    private static func sameBytes(_ x: UnsafeRawPointer, _ y: UnsafeRawPointer, _ stride: Int) -> Bool {
        for w in Swift.stride(from: 0, to: stride, by: 8)
        where x.load(fromByteOffset: w, as: UInt64.self) != y.load(fromByteOffset: w, as: UInt64.self) {
            return false
        }
        return true
    }

    /// Appends to `starts` the rows that start a run of rows equal in
    /// `columns` (that differ there from the row before): where a join's
    /// rows of one key begin.
    func appendRunStarts(columns: [Int], to starts: inout [Int]) {
        precondition(columns.allSatisfy { $0 < arity })
        guard count > 0 else { return }
        starts.append(0)
        guard let base, stride > 0, count > 1 else { return }
        let tags = arity * 8, stride = self.stride
        columns.withUnsafeBufferPointer { columns in
            var previous = UnsafeRawPointer(base), row = previous + stride
            for r in 1..<count {
                for c in columns where row.load(fromByteOffset: c &* 8, as: UInt64.self)
                    != previous.load(fromByteOffset: c &* 8, as: UInt64.self)
                    || row.load(fromByteOffset: tags &+ c, as: UInt8.self)
                    != previous.load(fromByteOffset: tags &+ c, as: UInt8.self) {
                    starts.append(r)
                    break
                }
                previous = row
                row += stride
            }
        }
    }

    @inline(__always)
    func word(_ row: Int, _ column: Int) -> UInt64 {
        precondition(row < count && column < arity)
        return (base! + row * stride).load(fromByteOffset: column * 8, as: UInt64.self)
    }

    @inline(__always)
    func tag(_ row: Int, _ column: Int) -> UInt8 {
        precondition(row < count && column < arity)
        return (base! + row * stride).load(fromByteOffset: arity * 8 + column, as: UInt8.self)
    }

    @inline(__always)
    func value(_ row: Int, _ column: Int) -> EncodedValue {
        precondition(row < count && column < arity)
        return Self.value(at: base! + row * stride, column: column, arity: arity)
    }

    /// The value of `column` in the row at `row`, of a buffer of `arity`:
    /// for loops that walk a batch by pointer (from ``rowPointer(_:)``, a
    /// ``stride`` per row) instead of paying a bounds check per value.
    @inline(__always)
    static func value(at row: UnsafeRawPointer, column: Int, arity: Int) -> EncodedValue {
        EncodedValue(word: row.load(fromByteOffset: column &* 8, as: UInt64.self),
                     tag: ValueTag(rawValue: row.load(fromByteOffset: arity &* 8 &+ column, as: UInt8.self)) ?? .int)
    }

    func rowPointer(_ row: Int) -> UnsafeRawPointer {
        precondition(row < count && stride > 0)
        return UnsafeRawPointer(base! + row * stride)
    }

    /// Forgets the rows and keeps the memory.
    func removeAll() { count = 0 }

    /// Drops rows from `n` on.
    func truncate(to n: Int) {
        precondition(n <= count)
        count = n
    }
}

/// Writes the columns of one row being appended to a ``RowBuffer``; valid
/// only inside the `appendRow` closure that hands it out.
struct RowWriter {
    fileprivate let row: UnsafeMutableRawPointer
    let arity: Int

    @inline(__always)
    func set(_ column: Int, word: UInt64, tag: UInt8) {
        precondition(column < arity)
        row.storeBytes(of: word, toByteOffset: column * 8, as: UInt64.self)
        row.storeBytes(of: tag, toByteOffset: arity * 8 + column, as: UInt8.self)
    }

    @inline(__always)
    func set(_ column: Int, _ value: EncodedValue) { set(column, word: value.word, tag: value.tag.rawValue) }

    /// Copies every column of another buffer's row into the first columns.
    ///
    /// Word by word rather than through `copyMemory`: rows are a few words,
    /// and a call to memmove per row cost more than the copy.
    @inline(__always)
    func copyAll(from buffer: RowBuffer, row r: Int) {
        let n = buffer.arity
        precondition(n <= arity)
        guard n > 0 else { return }
        let src = buffer.rowPointer(r)
        for w in 0..<n {
            row.storeBytes(of: src.load(fromByteOffset: w &* 8, as: UInt64.self), toByteOffset: w &* 8, as: UInt64.self)
        }
        let from = src + n &* 8, to = row + arity &* 8
        guard n <= 8 else {
            to.copyMemory(from: from, byteCount: n)
            return
        }
        // The tag bytes are padded with zeros to whole words on both sides:
        // one word carries the n of them, merged over what the row holds.
        let mask: UInt64 = n == 8 ? ~0 : (1 << (UInt64(n) &* 8)) &- 1
        let old = to.load(as: UInt64.self)
        to.storeBytes(of: (old & ~mask) | (from.load(as: UInt64.self) & mask), as: UInt64.self)
    }

    /// Copies columns of another buffer's row into consecutive columns from `start`.
    @inline(__always)
    func copy(from buffer: RowBuffer, row r: Int, columns: [Int], to start: Int = 0) {
        for (j, c) in columns.enumerated() { set(start + j, word: buffer.word(r, c), tag: buffer.tag(r, c)) }
    }
}
