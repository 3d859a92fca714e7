import QuarryCore

#if _endian(big)
#error("PackedRows writes tag bytes little-endian, as the C core reads them")
#endif

/// Rows packed back to back in the core's row layout, owned by Swift.
///
/// A row of arity N is N words followed by N tag bytes padded to whole
/// words (see `quarry_core.h`). `PackedRows` is a value type: build a batch
/// here, then hand it to ``TupleArena`` or ``DedupSet`` in one call.
@_spi(Core) public struct PackedRows: Sendable, Equatable {
    public let arity: Int
    /// Words per row: the payload words plus the tag words.
    public let wordsPerRow: Int
    @usableFromInline var storage: [UInt64]

    /// Creates an empty batch. Throws for an arity the core does not support.
    public init(arity: Int, reservingCapacity rows: Int = 0) throws(CoreError) {
        let stride = arity > 0 ? qc_row_stride(UInt32(clamping: arity)) : 0
        guard stride > 0 else { throw CoreError(status: QC_ERR_ARITY, operation: "rows of arity \(arity)") }
        self.arity = arity
        self.wordsPerRow = stride / 8
        self.storage = []
        storage.reserveCapacity(rows * wordsPerRow)
    }

    public var count: Int { storage.count / wordsPerRow }

    /// Appends one row. `words` and `tags` must each have `arity` elements;
    /// a row of another width is an error and nothing is appended.
    @inlinable
    public mutating func append(words: some Collection<UInt64>, tags: some Collection<ValueTag>) throws(CoreError) {
        guard words.count == arity && tags.count == arity else {
            throw CoreError(status: QC_ERR_RANGE,
                            operation: "append a row of \(words.count) words and \(tags.count) tags to rows of arity \(arity)")
        }
        storage.append(contentsOf: words)
        let tagStart = storage.count
        storage.append(contentsOf: repeatElement(0, count: wordsPerRow - arity))
        for (j, tag) in tags.enumerated() {
            storage[tagStart + j / 8] |= UInt64(tag.rawValue) << (UInt64(j % 8) * 8)
        }
    }

    /// Appends one row of encoded values.
    public mutating func append(_ values: some Collection<EncodedValue>) throws(CoreError) {
        try append(words: values.map(\.word), tags: values.map(\.tag))
    }

    /// Appends a row in which every column has the same tag; the common case
    /// of a benchmark or a typed scan.
    @inlinable
    public mutating func append(words: some Collection<UInt64>, tag: ValueTag) throws(CoreError) {
        try append(words: words, tags: repeatElement(tag, count: arity))
    }

    public func word(row: Int, column: Int) -> UInt64 {
        precondition(column < arity)
        return storage[row * wordsPerRow + column]
    }

    public func tag(row: Int, column: Int) -> ValueTag? {
        precondition(column < arity)
        let w = storage[row * wordsPerRow + arity + column / 8]
        return ValueTag(rawValue: UInt8(truncatingIfNeeded: w >> (UInt64(column % 8) * 8)))
    }

    public mutating func removeAll(keepingCapacity: Bool = true) {
        storage.removeAll(keepingCapacity: keepingCapacity)
    }

    /// Calls `body` with the packed bytes of all rows.
    func withRows<R>(_ body: (UnsafeRawPointer?, Int) -> R) -> R {
        storage.withUnsafeBytes { body($0.baseAddress, count) }
    }

    /// Calls `body` with the packed bytes of row `index`.
    func withRow<R>(_ index: Int, _ body: (UnsafeRawPointer) -> R) -> R {
        precondition(index >= 0 && index < count, "row \(index) out of 0..<\(count)")
        return storage.withUnsafeBytes { body($0.baseAddress! + index * wordsPerRow * 8) }
    }
}
