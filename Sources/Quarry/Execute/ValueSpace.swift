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
    /// shared. Cleared when it holds ``memoLimit`` texts.
    private var texts: [EncodedValue: Value] = [:]
    private static let memoLimit = 4096

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
            if let known = texts[e] { return known }
            let value: Value = e.tag == .string ? .string(text(e.word)) : .keyword(Keyword(text(e.word)))
            if texts.count == Self.memoLimit { texts.removeAll(keepingCapacity: true) }
            texts[e] = value
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

    /// Row `r` of `rows` as values, in one array sized once.
    func decode(row r: Int, of rows: RowBuffer) -> [Value] {
        var row: [Value] = []
        row.reserveCapacity(rows.arity)
        for c in 0..<rows.arity { row.append(decode(rows.value(r, c))) }
        return row
    }
}
