/// Reading stored rows back. The file is not trusted: every column's
/// storage class is checked against what its tag says, text must be UTF-8,
/// flags 0 or 1, counts not negative, and blobs are decoded byte by byte.
/// A bad value is a ``ScanError`` here, which the source turns into a
/// ``StoreError`` naming the file.
extension SQLiteSource {
    /// The datom in columns `first` to `first + 4` (e, a, vt, v, tx);
    /// `attributes` carries the last attribute name from row to row.
    static func datom(_ s: SQLiteStatement, from first: Int, attributes: inout RepeatedText<Keyword>) throws -> SourceDatom {
        guard s.type(first) == .integer, s.type(first + 2) == .integer, s.type(first + 4) == .integer else {
            throw ScanError("a datom's entity, value tag or transaction is not an integer")
        }
        // Quarry never stores a negative id (negative numbers are tempids in transaction data).
        guard s.int64(first) >= 0, s.int64(first + 4) >= 0 else {
            throw ScanError("a datom has the negative entity or transaction id \(min(s.int64(first), s.int64(first + 4)))")
        }
        guard s.type(first + 1) == .text, let a = try s.text(first + 1, repeated: &attributes, attributeIdent) else {
            throw ScanError("a stored attribute name is not UTF-8 text")
        }
        return SourceDatom(e: s.int64(first), a: a,
                           v: try value(s, tag: s.int64(first + 2), column: first + 3), tx: s.int64(first + 4))
    }

    /// The value a row stores in `column` under `tag`.
    static func value(_ s: SQLiteStatement, tag: Int64, column: Int) throws -> Value {
        guard let t = ValueTag(rawValue: UInt8(truncatingIfNeeded: tag)), Int64(t.rawValue) == tag else {
            throw ScanError("a datom has the unknown value tag \(tag)")
        }
        let expected: SQLiteType = switch t {
        case .int, .ref, .bool, .instant: .integer
        case .double: .float
        case .string, .keyword: .text
        case .uuid, .tuple, .map: .blob
        }
        let found = s.type(column)
        guard found == expected else { throw ScanError("a stored \(t) value is \(found), not \(expected)") }
        switch t {
        case .int, .ref: return .int(s.int64(column))
        case .double: return .double(s.double(column))
        case .bool:
            let b = s.int64(column)
            guard b == 0 || b == 1 else { throw ScanError("a stored boolean is \(b), not 0 or 1") }
            return .bool(b == 1)
        case .string: return .string(try text(s, column: column, what: "string"))
        case .keyword: return .keyword(Keyword(try text(s, column: column, what: "keyword")))
        case .instant: return .instant(Instant(millisecondsSinceEpoch: s.int64(column)))
        case .uuid, .tuple, .map: return try decodeBlob(s.blob(column), tag: t)
        }
    }

    /// Text that must be UTF-8.
    static func text(_ s: SQLiteStatement, column: Int, what: String) throws -> String {
        guard s.type(column) == .text, let text = s.validatedText(column) else {
            throw ScanError("a stored \(what) is not UTF-8 text")
        }
        return text
    }

    /// An attribute's ident: non-empty UTF-8 text.
    static func attributeIdent(_ s: SQLiteStatement, column: Int) throws -> Keyword {
        try attributeIdent(text(s, column: column, what: "attribute name"))
    }

    static func attributeIdent(_ text: String) throws -> Keyword {
        guard !text.isEmpty else { throw ScanError("a stored attribute name is empty") }
        return Keyword(text)
    }

    /// A schema field that is NULL or one of `T`'s raw values.
    static func optional<T: RawRepresentable<String>>(_ s: SQLiteStatement, column: Int, _ ident: Keyword) throws -> T? {
        if s.type(column) == .null { return nil }
        let raw = try text(s, column: column, what: "schema field of \(ident)")
        guard let value = T(rawValue: raw) else { throw ScanError("\(ident) has the unknown schema value \(raw)") }
        return value
    }

    /// A schema flag: 0 or 1.
    static func flag(_ s: SQLiteStatement, column: Int, _ ident: Keyword) throws -> Bool {
        guard s.type(column) == .integer, s.int64(column) == 0 || s.int64(column) == 1 else {
            throw ScanError("a schema flag of \(ident) is not 0 or 1")
        }
        return s.int64(column) == 1
    }

    /// A stored count: an integer, not negative.
    static func count(_ s: SQLiteStatement, column: Int, what: String) throws -> Int {
        guard s.type(column) == .integer, s.int64(column) >= 0 else { throw ScanError("a \(what) is not a count") }
        return Int(s.int64(column))
    }

    /// A UUID or tuple stored as a blob, checked byte by byte (see
    /// ``Value/init(storedBytes:tag:)``).
    @_spi(Testing) public static func decodeBlob(_ bytes: [UInt8], tag: ValueTag) throws -> Value {
        try Value(storedBytes: bytes, tag: tag)
    }
}

/// Reads the wire form of a value (``WireWriter``) from bytes that may be
/// malformed: every read is checked against the end, every tag and every
/// nesting level, and a bad byte is an error, never a trap.
struct CheckedWireReader {
    let bytes: UnsafeRawBufferPointer
    var at = 0

    private mutating func take(_ n: Int) throws -> Int {
        guard n >= 0, n <= bytes.count - at else { throw ScanError("a stored value ends early at byte \(at)") }
        defer { at += n }
        return at
    }

    mutating func u32() throws -> UInt32 {
        UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: try take(4), as: UInt32.self))
    }

    mutating func i64() throws -> Int64 {
        Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: try take(8), as: Int64.self))
    }

    mutating func text() throws -> String {
        let n = Int(try u32())
        let from = try take(n)
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[from..<from + n]), as: UTF8.self)
    }

    mutating func value(depth: Int) throws -> Value {
        let raw = bytes[try take(1)]
        guard let tag = ValueTag(rawValue: raw) else { throw ScanError("a stored value has the unknown tag \(raw)") }
        switch tag {
        case .int: return .int(try i64())
        case .ref: return .ref(try i64())
        case .double: return .double(Double(bitPattern: UInt64(bitPattern: try i64())))
        case .bool: return .bool(bytes[try take(1)] != 0)
        case .instant: return .instant(Instant(millisecondsSinceEpoch: try i64()))
        case .string: return .string(try text())
        case .keyword: return .keyword(Keyword(try text()))
        case .uuid:
            let from = try take(16)
            return .uuid(Value.uuid(bytes: Array(bytes[from..<from + 16]))!)
        case .tuple, .map:
            guard depth < EDN.maxDepth else { throw ScanError("a stored \(tag) nests deeper than \(EDN.maxDepth) levels") }
            let n = Int(try u32())
            // Each element takes at least 2 bytes: a count past that is a lie, not a reason to allocate.
            guard n <= (bytes.count - at) / 2 else { throw ScanError("a stored \(tag) claims \(n) elements") }
            var items: [Value] = []
            items.reserveCapacity(n)
            for _ in 0..<n { items.append(try value(depth: depth + 1)) }
            guard tag == .map else { return .tuple(items) }
            guard n % 2 == 0 else { throw ScanError("a stored map has \(n) keys and values") }
            return .map(Value.map(alternating: items))
        }
    }
}
