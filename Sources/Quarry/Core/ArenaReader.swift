import QuarryCore

/// Bounds-checked reads of rows in a core arena. Shared by ``TupleArena``
/// and ``DedupSet`` (whose distinct rows live in an arena it owns); the
/// owner keeps the arena alive.
struct ArenaReader {
    let handle: OpaquePointer

    var arity: Int { Int(qc_arena_arity(handle)) }
    var count: Int { Int(qc_arena_count(handle)) }
    var byteCount: Int { Int(qc_arena_bytes(handle)) }

    func word(row: Int, column: Int) -> UInt64 {
        checkBounds(row, column)
        return qc_arena_row(handle, UInt64(row)).load(fromByteOffset: column * 8, as: UInt64.self)
    }

    func tag(row: Int, column: Int) -> ValueTag? {
        checkBounds(row, column)
        let byte = qc_arena_row(handle, UInt64(row)).load(fromByteOffset: arity * 8 + column, as: UInt8.self)
        return ValueTag(rawValue: byte)
    }

    /// Row `row` of an arena of arity 4, read at once.
    func keyRow(_ row: Int) -> KeyRow {
        precondition(arity == 4 && row >= 0 && row < count, "row \(row) out of 0..<\(count) of arity 4")
        let p = qc_arena_row(handle, UInt64(row))!
        return KeyRow(words: (p.load(as: UInt64.self), p.load(fromByteOffset: 8, as: UInt64.self),
                              p.load(fromByteOffset: 16, as: UInt64.self), p.load(fromByteOffset: 24, as: UInt64.self)),
                      tags: p.load(fromByteOffset: 32, as: UInt64.self))
    }

    func row(_ row: Int) -> [EncodedValue] {
        (0..<arity).map { EncodedValue(word: word(row: row, column: $0), tag: tag(row: row, column: $0) ?? .int) }
    }

    func rows(_ range: Range<Int>) throws(CoreError) -> PackedRows {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "rows \(range) out of 0..<\(count)")
        var out = try PackedRows(arity: arity, reservingCapacity: range.count)
        out.storage = [UInt64](repeating: 0, count: range.count * out.wordsPerRow)
        let status = out.storage.withUnsafeMutableBytes {
            qc_arena_copy_rows(handle, UInt64(range.lowerBound), UInt64(range.count), $0.baseAddress)
        }
        try CoreError.check(status, "arena copy")
        return out
    }

    private func checkBounds(_ row: Int, _ column: Int) {
        precondition(row >= 0 && row < count, "row \(row) out of 0..<\(count)")
        precondition(column >= 0 && column < arity, "column \(column) out of 0..<\(arity)")
    }
}
