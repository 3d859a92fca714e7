import Foundation

/// A value as the core stores it: one word and one tag.
@_spi(Core) public struct EncodedValue: Sendable, Hashable {
    public var word: UInt64
    public var tag: ValueTag

    public init(word: UInt64, tag: ValueTag) {
        self.word = word
        self.tag = tag
    }
}

extension Value {
    /// The word and tag of this value. Strings, keywords and UUIDs are
    /// interned, so equal values give equal words; doubles are made
    /// canonical (-0.0 becomes 0.0, every NaN the same NaN) so that the
    /// core's byte equality is value equality.
    @_spi(Core) public func encoded(in interner: Interner) throws(CoreError) -> EncodedValue {
        switch self {
        case .int(let v): EncodedValue(word: UInt64(bitPattern: v), tag: .int)
        case .double(let v): EncodedValue(word: Self.canonicalBits(v), tag: .double)
        case .bool(let v): EncodedValue(word: v ? 1 : 0, tag: .bool)
        case .string(let s): EncodedValue(word: try interner.intern(s), tag: .string)
        case .keyword(let k): EncodedValue(word: try interner.intern(k.text), tag: .keyword)
        case .ref(let e): EncodedValue(word: UInt64(bitPattern: e), tag: .ref)
        case .instant(let t): EncodedValue(word: UInt64(bitPattern: t.millisecondsSinceEpoch), tag: .instant)
        case .uuid(let u): EncodedValue(word: try interner.intern(bytes: Self.bytes(of: u)), tag: .uuid)
        case .tuple(let items): EncodedValue(word: try interner.intern(bytes: Self.bytes(of: items, in: interner)), tag: .tuple)
        case .map: EncodedValue(word: try interner.intern(bytes: Self.bytes(of: flattened, in: interner)), tag: .map)
        }
    }

    /// Decodes a word and tag; nil when an interned id is unknown to `interner`.
    @_spi(Core) public init?(_ encoded: EncodedValue, interner: Interner) {
        let w = encoded.word
        switch encoded.tag {
        case .int: self = .int(Int64(bitPattern: w))
        case .double: self = .double(Double(bitPattern: w))
        case .bool: self = .bool(w != 0)
        case .ref: self = .ref(Int64(bitPattern: w))
        case .instant: self = .instant(Instant(millisecondsSinceEpoch: Int64(bitPattern: w)))
        case .string:
            guard let s = interner.string(for: w) else { return nil }
            self = .string(s)
        case .keyword:
            guard let s = interner.string(for: w) else { return nil }
            self = .keyword(Keyword(s))
        case .uuid:
            guard let b = interner.bytes(for: w), let u = Self.uuid(bytes: b) else { return nil }
            self = .uuid(u)
        case .tuple:
            guard let b = interner.bytes(for: w), let items = Self.elements(of: b) else { return nil }
            var values: [Value] = []
            for item in items {
                guard let v = Value(item, interner: interner) else { return nil }
                values.append(v)
            }
            self = .tuple(values)
        case .map:
            guard let b = interner.bytes(for: w), let items = Self.elements(of: b), items.count % 2 == 0 else { return nil }
            var values: [Value] = []
            for item in items {
                guard let v = Value(item, interner: interner) else { return nil }
                values.append(v)
            }
            self = .map(Self.map(alternating: values))
        }
    }

    /// The map of keys and values alternating in `items` (a later key wins).
    static func map(alternating items: [Value]) -> [Value: Value] {
        var m: [Value: Value] = [:]
        for i in stride(from: 0, to: items.count - 1, by: 2) { m[items[i]] = items[i + 1] }
        return m
    }

    /// A map's keys and values, alternating, in ``mapEntries`` order: equal
    /// maps give equal element lists, so their encodings are equal too.
    var flattened: [Value] { mapEntries.flatMap { [$0.key, $0.value] } }

    static func canonicalBits(_ d: Double) -> UInt64 {
        if d.isNaN { return Double.nan.bitPattern }
        if d == 0 { return 0 }
        return d.bitPattern
    }

    /// A tuple's elements as bytes: per element its tag, then its word.
    static func bytes(of items: [Value], in interner: Interner) throws(CoreError) -> [UInt8] {
        var encoded: [EncodedValue] = []
        for item in items { encoded.append(try item.encoded(in: interner)) }
        return bytes(ofElements: encoded)
    }

    /// Encoded elements as a tuple's bytes (the inverse of ``elements(of:)``).
    static func bytes(ofElements items: [EncodedValue]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(items.count * 9)
        for e in items {
            out.append(e.tag.rawValue)
            withUnsafeBytes(of: e.word.littleEndian) { out.append(contentsOf: $0) }
        }
        return out
    }

    /// The UUID of 16 bytes; nil for any other length.
    static func uuid(bytes b: [UInt8]) -> UUID? {
        guard b.count == 16 else { return nil }
        return UUID(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
                           b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]))
    }

    /// The encoded elements of a tuple's bytes; nil when malformed.
    static func elements(of bytes: [UInt8]) -> [EncodedValue]? {
        guard bytes.count % 9 == 0 else { return nil }
        return stride(from: 0, to: bytes.count, by: 9).compactMap { i in
            guard let tag = ValueTag(rawValue: bytes[i]) else { return nil }
            var w: UInt64 = 0
            for k in 0..<8 { w |= UInt64(bytes[i + 1 + k]) << (8 * UInt64(k)) }
            return EncodedValue(word: w, tag: tag)
        }
    }

    static func bytes(of u: UUID) -> [UInt8] {
        withUnsafeBytes(of: u.uuid) { Array($0) }
    }
}
