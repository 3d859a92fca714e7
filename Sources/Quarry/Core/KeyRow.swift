import QuarryCore

/// A row of four columns packed as the core lays rows out (four words,
/// then four tag bytes and zero padding), held on the stack: a key built,
/// looked up and stored in a ``DedupSet`` of arity 4 without an allocation.
/// A column left unset holds a zero word and tag.
@_spi(Core) public struct KeyRow: Equatable, Sendable {
    /// Words 0...3, then the tags in the low bytes of the fifth (little endian, as the core reads them).
    private var storage: (UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0)

    public init() {}

    /// The row as read back from a set.
    init(words: (UInt64, UInt64, UInt64, UInt64), tags: UInt64) {
        storage = (words.0, words.1, words.2, words.3, tags)
    }

    public static func == (x: KeyRow, y: KeyRow) -> Bool {
        x.storage.0 == y.storage.0 && x.storage.1 == y.storage.1 && x.storage.2 == y.storage.2
            && x.storage.3 == y.storage.3 && x.storage.4 == y.storage.4
    }

    /// The word and tag byte of column `c` (0...3); tag 0 means unset, as
    /// for a column outside 0...3.
    public func column(_ c: Int) -> (word: UInt64, tag: UInt8) {
        guard (0...3).contains(c) else { return (0, 0) }
        let word = switch c {
        case 0: storage.0
        case 1: storage.1
        case 2: storage.2
        default: storage.3
        }
        return (word, UInt8(truncatingIfNeeded: storage.4 >> (8 * UInt64(c))))
    }

    /// Sets column `c` (0...3; any other column is ignored).
    public mutating func set(_ c: Int, word: UInt64, tag: UInt8) {
        guard (0...3).contains(c) else { return }
        switch c {
        case 0: storage.0 = word
        case 1: storage.1 = word
        case 2: storage.2 = word
        default: storage.3 = word
        }
        let shift = 8 * UInt64(c)
        storage.4 = storage.4 & ~(0xFF << shift) | UInt64(tag) << shift
    }

    /// The row with only the columns whose bit is set in `mask` kept.
    public func keeping(columns mask: UInt8) -> KeyRow {
        var out = KeyRow()
        for c in 0..<4 where mask & (1 << c) != 0 {
            let (w, t) = column(c)
            out.set(c, word: w, tag: t)
        }
        return out
    }

    /// The four tag bytes: rows that agree here have columns of the same kinds.
    public var tags: UInt32 { UInt32(truncatingIfNeeded: storage.4) }

    /// The row's bytes, for the core.
    func withBytes<R>(_ body: (UnsafeRawPointer) -> R) -> R {
        var copy = storage
        return withUnsafeBytes(of: &copy) { body($0.baseAddress!) }
    }
}

extension DedupSet {
    /// Inserts `key` (the set's arity must be 4) if absent; whether it was new.
    @discardableResult
    public func insert(_ key: KeyRow) throws(CoreError) -> Bool {
        guard arity == 4 else {
            throw CoreError(status: QC_ERR_ARITY, operation: "a KeyRow (four columns) into a dedup set of arity \(arity)")
        }
        var at: UInt64 = 0
        var inserted = false
        try CoreError.check(key.withBytes { qc_dedup_insert(handle, $0, &at, &inserted) }, "dedup insert")
        return inserted
    }

    /// Whether `key` is in the set (false for a set of an arity other than 4).
    public func contains(_ key: KeyRow) -> Bool {
        guard arity == 4 else { return false }
        return key.withBytes { qc_dedup_find(handle, $0) } >= 0
    }

    /// Row `i` of a set of arity 4.
    public func keyRow(_ i: Int) -> KeyRow { reader.keyRow(i) }
}
