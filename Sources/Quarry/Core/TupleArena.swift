import QuarryCore

/// A flat, append-only table of rows of one arity, in the C core's memory.
///
/// Rows are appended into chunks that double in size: no allocation per
/// row, and a row never moves. Not thread-safe: one thread at a time.
@_spi(Core) public final class TupleArena {
    let handle: OpaquePointer
    /// Kept so the account outlives the bytes charged to it.
    public let account: MemoryAccount?

    /// - Parameters:
    ///   - arity: columns per row, 1...``TupleArena/maxArity``.
    ///   - account: charged with the arena's bytes.
    ///   - hugePages: advise huge pages for chunks of 2 MiB and more.
    public init(arity: Int, account: MemoryAccount? = nil, hugePages: Bool = false) throws(CoreError) {
        guard arity > 0, arity <= Self.maxArity else {
            throw CoreError(status: QC_ERR_ARITY, operation: "arena of arity \(arity) (supported: 1...\(Self.maxArity))")
        }
        var out: OpaquePointer?
        try CoreError.check(qc_arena_create(UInt32(arity), account?.handle, hugePages ? QC_HUGEPAGES : 0, &out),
                            "create arena")
        handle = out!
        self.account = account
    }

    deinit { qc_arena_destroy(handle) }

    /// The largest arity the core supports.
    public static let maxArity = Int(QC_MAX_ARITY)

    public var arity: Int { reader.arity }
    public var count: Int { reader.count }
    /// Bytes of the chunks the arena holds.
    public var byteCount: Int { reader.byteCount }

    /// Appends one row; returns its index.
    @discardableResult
    public func append(words: [UInt64], tags: [ValueTag]) throws(CoreError) -> Int {
        precondition(words.count == arity && tags.count == arity, "row width must equal the arity \(arity)")
        var index: UInt64 = 0
        let status = words.withUnsafeBufferPointer { w in
            tags.map(\.rawValue).withUnsafeBufferPointer { t in
                qc_arena_append_values(handle, w.baseAddress, t.baseAddress, &index)
            }
        }
        try CoreError.check(status, "arena append")
        return Int(index)
    }

    /// Appends every row of a batch; returns the index of the first.
    @discardableResult
    public func append(contentsOf rows: PackedRows) throws(CoreError) -> Int {
        precondition(rows.arity == arity, "batch arity \(rows.arity) differs from arena arity \(arity)")
        let first = count
        let stride = rows.wordsPerRow * 8
        let status = rows.withRows { base, n in
            for i in 0..<n {
                let status = qc_arena_append(handle, base! + i * stride, nil)
                if status != QC_OK { return status }
            }
            return QC_OK
        }
        try CoreError.check(status, "arena append")
        return first
    }

    public func word(row: Int, column: Int) -> UInt64 { reader.word(row: row, column: column) }

    public func tag(row: Int, column: Int) -> ValueTag? { reader.tag(row: row, column: column) }

    /// The row as encoded values.
    public func row(_ row: Int) -> [EncodedValue] { reader.row(row) }

    /// Copies rows `range` into a batch.
    public func rows(_ range: Range<Int>) throws(CoreError) -> PackedRows { try reader.rows(range) }

    /// Forgets every row. With `keepingMemory` the chunks stay for reuse;
    /// otherwise they are released and the arena holds no bytes.
    public func removeAll(keepingMemory: Bool = false) {
        qc_arena_reset(handle, keepingMemory)
    }

    private var reader: ArenaReader { ArenaReader(handle: handle) }
}
