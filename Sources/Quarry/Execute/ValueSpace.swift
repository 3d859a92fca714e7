import Foundation

/// The ids strings, keywords, UUIDs and tuples have during one query.
///
/// Values of the default database keep the ids its interner gave them;
/// anything else (constants the database lacks, strings a function
/// builds, values of another source) is interned in a query-local interner
/// whose ids carry ``localBit``. A text has one id either way: the
/// database's when it has one. So equal values have equal words, and
/// joins and dedup compare words.
final class ValueSpace {
    let primary: Interner
    let local: Interner

    static let localBit: UInt64 = 1 << 62

    /// Strings and keywords decoded already: results repeat a few texts
    /// many times over (a region per row), and a text decoded once is
    /// shared. Direct-mapped by the id (a later text takes an earlier
    /// one's slot), so a look-up is one multiply and one compare, not a
    /// hash table's: a 240,000-row result spent a fifth of its decoding
    /// hashing into a dictionary. It starts small (a point query pays for
    /// a few slots, not thousands) and grows while texts keep missing.
    private var texts: [(key: EncodedValue, value: Value)?] = []
    private var textSlotsLog2 = 0
    private var textMisses = 0
    private static let memoSlotsLog2 = (first: 6, most: 12)

    init(primary: Interner, account: MemoryAccount?) throws(CoreError) {
        self.primary = primary
        self.local = try Interner(account: account)
    }

    private func intern(text: String) throws(CoreError) -> UInt64 {
        if let id = primary.id(of: text) { return id }
        return try local.intern(text) | Self.localBit
    }

    private func intern(bytes: [UInt8]) throws(CoreError) -> UInt64 {
        if let id = primary.id(ofBytes: bytes) { return id }
        return try local.intern(bytes: bytes) | Self.localBit
    }

    /// The engine form of a value; refs become integers, as entity ids are.
    func encode(_ value: Value) throws(CoreError) -> EncodedValue {
        switch value {
        case .string(let s): return EncodedValue(word: try intern(text: s), tag: .string)
        case .keyword(let k): return EncodedValue(word: try intern(text: k.text), tag: .keyword)
        case .uuid(let u): return EncodedValue(word: try intern(bytes: Value.bytes(of: u)), tag: .uuid)
        case .ref(let e): return EncodedValue(word: UInt64(bitPattern: e), tag: .int)
        case .tuple(let items):
            var encoded: [EncodedValue] = []
            for item in items { encoded.append(try encode(item)) }
            return EncodedValue(word: try intern(bytes: Value.bytes(ofElements: encoded)), tag: .tuple)
        case .map:
            var encoded: [EncodedValue] = []
            for item in value.flattened { encoded.append(try encode(item)) }
            return EncodedValue(word: try intern(bytes: Value.bytes(ofElements: encoded)), tag: .map)
        case .int, .double, .bool, .instant:
            return try value.encoded(in: primary)
        }
    }

    private func bytes(_ word: UInt64) -> [UInt8]? {
        word & Self.localBit != 0 ? local.bytes(for: word & ~Self.localBit) : primary.bytes(for: word)
    }

    /// The text of a string or keyword.
    func text(_ word: UInt64) -> String {
        (word & Self.localBit != 0 ? local.string(for: word & ~Self.localBit) : primary.string(for: word)) ?? ""
    }

    func decode(_ e: EncodedValue) -> Value {
        switch e.tag {
        case .int, .ref: return .int(Int64(bitPattern: e.word))
        case .double: return .double(Double(bitPattern: e.word))
        case .bool: return .bool(e.word != 0)
        case .instant: return .instant(Instant(millisecondsSinceEpoch: Int64(bitPattern: e.word)))
        case .string, .keyword:
            if texts.isEmpty { resizeTexts(log2: Self.memoSlotsLog2.first) }
            let mixed = (e.word &+ UInt64(e.tag.rawValue)) &* 0x9E37_79B9_7F4A_7C15
            var slot = Int(truncatingIfNeeded: mixed >> UInt64(64 - textSlotsLog2))
            if let known = texts[slot], known.key == e { return known.value }
            let value: Value = e.tag == .string ? .string(text(e.word)) : .keyword(Keyword(text(e.word)))
            textMisses += 1
            if textMisses > texts.count && textSlotsLog2 < Self.memoSlotsLog2.most {
                resizeTexts(log2: min(Self.memoSlotsLog2.most, textSlotsLog2 + 2))
                slot = Int(truncatingIfNeeded: mixed >> UInt64(64 - textSlotsLog2))
            }
            texts[slot] = (e, value)
            return value
        case .uuid:
            guard let b = bytes(e.word), let u = Value.uuid(bytes: b) else { return .string("?") }
            return .uuid(u)
        case .tuple:
            guard let b = bytes(e.word), let items = Value.elements(of: b) else { return .tuple([]) }
            return .tuple(items.map(decode))
        case .map:
            guard let b = bytes(e.word), let items = Value.elements(of: b), items.count % 2 == 0 else { return .map([:]) }
            return .map(Value.map(alternating: items.map(decode)))
        }
    }

    /// Empties the memo into `1 << log2` slots.
    private func resizeTexts(log2: Int) {
        textSlotsLog2 = log2
        textMisses = 0
        texts = Array(repeating: nil, count: 1 << log2)
    }

    /// Every value of `rows`, row after row.
    func decode(all rows: RowBuffer) -> [Value] {
        var values: [Value] = []
        values.reserveCapacity(rows.count * rows.arity)
        for r in 0..<rows.count {
            for c in 0..<rows.arity { values.append(decode(rows.value(r, c))) }
        }
        return values
    }

    /// Row `r` of `rows` as values, in one array sized once.
    func decode(row r: Int, of rows: RowBuffer) -> [Value] {
        // `map` over a range sizes the array once and writes in place:
        // `reserveCapacity` then `append` went through the array's growth
        // path for every row of a large result.
        (0..<rows.arity).map { decode(rows.value(r, $0)) }
    }
}
