import QuarryCore

/// XXH3-64 as the core computes it.
@_spi(Core) public enum RowHash {
    /// XXH3-64 of bytes with a seed (libxxhash).
    public static func hash(bytes: [UInt8], seed: UInt64 = 0) -> UInt64 {
        bytes.withUnsafeBytes { qc_hash_bytes($0.baseAddress, $0.count, seed) }
    }

    /// XXH3-64 of row `index` of a batch: payload and tags together.
    public static func hash(_ rows: PackedRows, row index: Int, seed: UInt64 = DedupSet.defaultSeed) -> UInt64 {
        rows.withRow(index) { qc_hash_row($0, UInt32(rows.arity), seed) }
    }

    /// XXH3-64 of every row of a batch, through the core's inlined
    /// fixed-width paths.
    public static func hashAll(_ rows: PackedRows, seed: UInt64 = DedupSet.defaultSeed) -> [UInt64] {
        var out = [UInt64](repeating: 0, count: rows.count)
        rows.withRows { base, n in
            out.withUnsafeMutableBufferPointer { qc_hash_rows(base, n, UInt32(rows.arity), seed, $0.baseAddress) }
        }
        return out
    }
}

extension RowHash {
    /// XXH3-64 of `count` keys of `width` bytes each, laid back to back in
    /// `keys`, through the core's inlined fixed-width paths.
    /// `keys` must hold `count * width` bytes; else the call is an error.
    public static func hashKeys(_ keys: [UInt8], width: Int, count: Int, seed: UInt64 = 0) throws(CoreError) -> [UInt64] {
        let (bytes, overflow) = width.multipliedReportingOverflow(by: count)
        guard width > 0, count >= 0, !overflow, keys.count >= bytes else {
            throw CoreError(status: QC_ERR_RANGE, operation: "hash \(count) keys of \(width) bytes from \(keys.count) bytes")
        }
        var out = [UInt64](repeating: 0, count: count)
        keys.withUnsafeBytes { k in
            out.withUnsafeMutableBufferPointer { qc_hash_keys(k.baseAddress, width, count, seed, $0.baseAddress) }
        }
        return out
    }
}
