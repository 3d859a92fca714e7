import QuarryCore

extension DedupSet {
    /// Inserts row `row` of `buffer` if absent; returns its index in the set.
    @inline(__always)
    func insert(_ buffer: RowBuffer, row: Int) throws(CoreError) -> (inserted: Bool, index: Int) {
        precondition(buffer.arity == arity, "row arity \(buffer.arity) differs from set arity \(arity)")
        var at: UInt64 = 0
        var inserted = false
        try CoreError.check(qc_dedup_insert(handle, buffer.rowPointer(row), &at, &inserted), "dedup insert")
        return (inserted, Int(at))
    }

    /// Inserts every row of `buffer` with the prefetching batch; `indices`
    /// gets each row's index in the set and `fresh` whether it was new.
    func insertAll(_ buffer: RowBuffer, indices: CoreVector<UInt64>, fresh: CoreVector<UInt8>) throws(CoreError) {
        precondition(buffer.arity == arity, "row arity \(buffer.arity) differs from set arity \(arity)")
        try indices.resize(to: buffer.count)
        try fresh.resize(to: buffer.count)
        guard buffer.count > 0 else { return }
        let status = indices.withMutableElements { ip in
            fresh.withMutableElements { fp in
                qc_dedup_insert_batch(handle, buffer.rowPointer(0), buffer.count, ip.baseAddress, fp.baseAddress, nil, nil)
            }
        }
        try CoreError.check(status, "dedup insert batch")
    }

    /// For every row of `buffer`, the index of the equal row in the set or
    /// -1, through the prefetching batch lookup.
    func findAll(_ buffer: RowBuffer, into found: CoreVector<Int64>) throws(CoreError) {
        precondition(buffer.arity == arity, "row arity \(buffer.arity) differs from set arity \(arity)")
        try found.resize(to: buffer.count)
        guard buffer.count > 0 else { return }
        found.withMutableElements { qc_dedup_find_batch(handle, buffer.rowPointer(0), buffer.count, $0.baseAddress) }
    }

    /// Index of the row equal to row `row` of `buffer`, if present.
    @inline(__always)
    func firstIndex(of buffer: RowBuffer, row: Int) -> Int? {
        precondition(buffer.arity == arity)
        let found = qc_dedup_find(handle, buffer.rowPointer(row))
        return found < 0 ? nil : Int(found)
    }

    /// A distinct row's value.
    @inline(__always)
    func value(row: Int, column: Int) -> EncodedValue {
        EncodedValue(word: word(row: row, column: column), tag: tag(row: row, column: column) ?? .int)
    }
}
