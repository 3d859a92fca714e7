import QuarryCore
import QuarryCoreTesting

/// A set of rows of one arity, backed by the core's open-addressing dedup
/// table.
///
/// Insertion returns the index of the row in the set — of the equal row
/// already present, or of the new one — so the set doubles as a dense
/// numbering of distinct rows (group ids, join keys). Distinct rows are kept
/// in insertion order and can be read back by index. Not thread-safe.
@_spi(Core) public final class DedupSet {
    let handle: OpaquePointer
    /// Kept so the account outlives the bytes charged to it.
    public let account: MemoryAccount?
    public let arity: Int

    /// The seed used when none is given.
    public static let defaultSeed: UInt64 = 0x9E37_79B9_7F4A_7C15

    /// - Parameters:
    ///   - arity: columns per row, 1...``TupleArena/maxArity``.
    ///   - seed: XXH3 seed of the row keys.
    ///   - account: charged with the table's bytes.
    ///   - hugePages: advise huge pages for buffers of 2 MiB and more.
    ///
    /// A batch insert of 65,536 rows and more sizes the table once, up
    /// front, from an estimate of its new distinct rows (sampled on hash
    /// values), and is probed partition by partition (rows grouped by the
    /// slice of slots they hash to, each slice probed in cache), holding a
    /// copy of the batch meanwhile.
    public convenience init(arity: Int, seed: UInt64 = DedupSet.defaultSeed, account: MemoryAccount? = nil,
                            hugePages: Bool = false) throws(CoreError) {
        try self.init(arity: arity, seed: seed, account: account, hugePages: hugePages, switches: [])
    }

    /// Switches for tests and benchmarks: each makes the table slower on
    /// purpose, to measure what a mechanism buys or to reach a rare path.
    @_spi(Testing) public struct Switches: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        /// No up-front sizing of long batches: the table grows as it fills.
        public static let noPresize = Switches(rawValue: QC_DEDUP_NO_PRESIZE)
        /// No partitioned batches: every batch takes the prefetching pipeline.
        public static let noPartition = Switches(rawValue: QC_DEDUP_NO_PARTITION)
        /// Only 4 bits of each hash, so that full hashes and fragments collide.
        public static let weakHash = Switches(rawValue: QC_DEDUP_WEAK_HASH)
        /// Partition every batch insert, however short.
        public static let partitionEveryBatch = Switches(rawValue: QC_DEDUP_ALWAYS_PARTITION)
    }

    @_spi(Testing) public init(arity: Int, seed: UInt64 = DedupSet.defaultSeed, account: MemoryAccount? = nil,
                               hugePages: Bool = false, switches: Switches) throws(CoreError) {
        guard arity > 0, arity <= TupleArena.maxArity else {
            throw CoreError(status: QC_ERR_ARITY,
                            operation: "dedup set of arity \(arity) (supported: 1...\(TupleArena.maxArity))")
        }
        var flags = switches.rawValue
        if hugePages { flags |= QC_HUGEPAGES }
        var out: OpaquePointer?
        try CoreError.check(qc_dedup_create(UInt32(arity), seed, account?.handle, flags, &out), "create dedup set")
        handle = out!
        self.account = account
        self.arity = arity
    }

    deinit { qc_dedup_destroy(handle) }

    /// Distinct rows held.
    public var count: Int { Int(qc_dedup_count(handle)) }
    /// Slots of the table: a power of two, at most 3/4 full.
    public var capacity: Int { Int(qc_dedup_capacity(handle)) }
    /// Bytes held: slots, the distinct rows and the table itself.
    public var byteCount: Int { Int(qc_dedup_bytes(handle)) }

    /// Inserts row `index` of `rows` if absent.
    @discardableResult
    public func insert(_ rows: PackedRows, row index: Int) throws(CoreError) -> (inserted: Bool, index: Int) {
        try checkArity(rows)
        var at: UInt64 = 0
        var inserted = false
        let status = rows.withRow(index) { qc_dedup_insert(handle, $0, &at, &inserted) }
        try CoreError.check(status, "dedup insert")
        return (inserted, Int(at))
    }

    /// Inserts one row given as words and tags if absent.
    @discardableResult
    public func insert(words: [UInt64], tags: [ValueTag]) throws(CoreError) -> (inserted: Bool, index: Int) {
        var one = try PackedRows(arity: arity, reservingCapacity: 1)
        try one.append(words: words, tags: tags)
        return try insert(one, row: 0)
    }

    /// Inserts every row of a batch, in order; returns how many were new.
    ///
    /// With `prefetch` (the default) the core hashes rows ahead and
    /// prefetches their slots and candidate rows before probing; without it,
    /// each row is probed as it comes, which the benchmarks use to measure
    /// what prefetching buys. On an error, the rows before the failing one
    /// stay inserted.
    @discardableResult
    public func insert(contentsOf rows: PackedRows, prefetch: Bool = true) throws(CoreError) -> Int {
        try checkArity(rows)
        var fresh: UInt64 = 0
        let status = rows.withRows { base, n in
            prefetch ? qc_dedup_insert_batch(handle, base, n, nil, nil, &fresh, nil)
                : qc_dedup_insert_each(handle, base, n, &fresh)
        }
        try CoreError.check(status, "dedup insert batch")
        return Int(fresh)
    }

    /// Inserts every row of a batch and returns, per row, its index in the
    /// set and whether it was new.
    public func insertReportingIndices(_ rows: PackedRows) throws(CoreError) -> [(inserted: Bool, index: Int)] {
        try checkArity(rows)
        var indices = [UInt64](repeating: 0, count: rows.count)
        var flags = [UInt8](repeating: 0, count: rows.count)
        let status = rows.withRows { base, n in
            indices.withUnsafeMutableBufferPointer { ip in
                flags.withUnsafeMutableBufferPointer { fp in
                    qc_dedup_insert_batch(handle, base, n, ip.baseAddress, fp.baseAddress, nil, nil)
                }
            }
        }
        try CoreError.check(status, "dedup insert batch")
        return zip(flags, indices).map { ($0 != 0, Int($1)) }
    }

    /// Index of the row equal to row `index` of `rows`, if present.
    public func firstIndex(of rows: PackedRows, row index: Int) -> Int? {
        guard rows.arity == arity else { return nil }
        let found = rows.withRow(index) { qc_dedup_find(handle, $0) }
        return found < 0 ? nil : Int(found)
    }

    /// Whether the row given as words and tags is present.
    public func contains(words: [UInt64], tags: [ValueTag]) -> Bool {
        guard var one = try? PackedRows(arity: arity, reservingCapacity: 1),
              (try? one.append(words: words, tags: tags)) != nil else { return false }
        return firstIndex(of: one, row: 0) != nil
    }

    /// Makes room for `rows` distinct rows without growing the slot array.
    ///
    /// - Parameters:
    ///   - rows: the distinct rows to make room for (below 0 counts as 0).
    ///   - includingStorage: also allocate the storage those rows take, so
    ///     that inserting them allocates nothing. The set then takes `rows`
    ///     as known: a batch insert of 65,536 rows or more skips estimating
    ///     its distinct rows until the set holds that many.
    public func reserve(_ rows: Int, includingStorage: Bool = false) throws(CoreError) {
        let n = UInt64(max(0, rows))
        if includingStorage {
            try CoreError.check(qc_dedup_reserve_storage(handle, n), "dedup reserve")
        } else {
            try CoreError.check(qc_dedup_reserve(handle, n), "dedup reserve")
        }
    }

    /// Forgets every row, keeping the table's capacity.
    public func removeAll() { qc_dedup_clear(handle) }

    // MARK: Distinct rows

    public func word(row: Int, column: Int) -> UInt64 { reader.word(row: row, column: column) }
    public func tag(row: Int, column: Int) -> ValueTag? { reader.tag(row: row, column: column) }
    public func row(_ row: Int) -> [EncodedValue] { reader.row(row) }
    /// Copies distinct rows `range` into a batch.
    public func rows(_ range: Range<Int>) throws(CoreError) -> PackedRows { try reader.rows(range) }

    // MARK: Probe figures

    /// How probing went since creation or the last ``removeAll()``.
    public struct ProbeStats: Sendable, Equatable {
        /// Slots visited.
        public var probes: UInt64
        /// Slots whose hash fragment matched, so the row was compared.
        public var fragmentMatches: UInt64
        /// Row compares that found a different row.
        public var falseMatches: UInt64
        /// Times the slot array grew.
        public var grows: UInt64
    }

    public var probeStats: ProbeStats {
        var s = qc_dedup_probe_stats()
        qc_dedup_probe_stats_read(handle, &s)
        return ProbeStats(probes: s.probes, fragmentMatches: s.fragment_matches, falseMatches: s.false_matches,
                          grows: s.grows)
    }

    var reader: ArenaReader { ArenaReader(handle: qc_dedup_rows(handle)) }

    /// Rows of another arity are an error, not a trap: the set could only misread them.
    private func checkArity(_ rows: PackedRows) throws(CoreError) {
        guard rows.arity == arity else {
            throw CoreError(status: QC_ERR_ARITY, operation: "rows of arity \(rows.arity) into a dedup set of arity \(arity)")
        }
    }
}
