/// The rows of one scan response, flat in the engine's memory: per row its
/// binding's index and the shape's projected columns, in a compact wire
/// form (integers as 8 bytes, text as length and UTF-8, values behind a
/// tag byte). Rows are grouped by binding in ascending order, which is
/// what lets the materializer cut one response into per-binding entries.
///
/// Its bytes are the transfer size a source reports and the size a cache
/// entry is charged. Immutable once built, so it may cross threads.
public final class ScanRows: @unchecked Sendable {
    /// Columns each row carries.
    public let projection: PositionSet
    let bytes: CoreVector<UInt8>
    /// The byte offset of each row, then the end.
    let offsets: CoreVector<UInt32>
    /// Per binding present, its index and its first row; the last entry
    /// ends the rows.
    private(set) var groups: [(binding: Int, firstRow: Int)] = []
    private var scratch = WireWriter()

    /// Empty rows of `projection`, charged to `account`.
    public init(projection: PositionSet, account: MemoryAccount? = nil) throws(CoreError) {
        self.projection = projection
        bytes = CoreVector(account: account)
        offsets = CoreVector(account: account)
        try offsets.append(0)
    }

    /// Rows held.
    public var count: Int { offsets.count - 1 }
    /// Bytes of the rows in the wire form (what a transfer would carry).
    public var wireBytes: Int { bytes.count }
    /// Engine bytes held, from the core's figures.
    public var byteCount: Int { bytes.byteCount + offsets.byteCount }

    /// The bindings that have rows, with their row ranges.
    public var bindingRanges: [(binding: Int, rows: Range<Int>)] {
        groups.indices.map { i in
            (groups[i].binding, groups[i].firstRow..<(i + 1 < groups.count ? groups[i + 1].firstRow : count))
        }
    }

    /// Appends a row for binding `binding` (not below the last row's),
    /// writing the projected positions of `datom`.
    public func append(binding: Int, _ datom: SourceDatom) throws {
        try append(binding: binding) { w, projection in
            if projection.contains(.e) { w.i64(datom.e) }
            if projection.contains(.a) { w.text(datom.a.text) }
            if projection.contains(.v) { w.value(datom.v) }
            if projection.contains(.tx) { w.i64(datom.tx) }
            return true
        }
    }

    /// ``append(binding:_:)`` straight from a store's datom, its text read
    /// in place from `interner`: no `Value` or `String` per row. A datom
    /// holding an id `interner` does not know is left out.
    func append(binding: Int, _ d: Datom, interner: Interner) throws {
        try append(binding: binding) { w, projection in
            if projection.contains(.e) { w.i64(d.e) }
            if projection.contains(.a) {
                guard interner.withBytes(for: UInt64(d.a), { w.text(bytes: $0) }) != nil else { return false }
            }
            if projection.contains(.v) {
                guard w.encoded(d.value, interner: interner) else { return false }
            }
            if projection.contains(.tx) { w.i64(d.tx) }
            return true
        }
    }

    /// Appends a row for binding `binding` (not below the last row's), its
    /// columns written by `write` into a writer reused for every row; a
    /// row `write` gives up on (false) is not appended.
    private func append(binding: Int, _ write: (inout WireWriter, PositionSet) -> Bool) throws {
        if let last = groups.last?.binding, binding < last {
            throw ScanError("rows out of binding order (\(binding) after \(last))")
        }
        scratch.out.removeAll(keepingCapacity: true)
        scratch.u32(UInt32(binding))
        guard write(&scratch, projection) else { return }
        if groups.last?.binding != binding { groups.append((binding, count)) }
        try scratch.out.withUnsafeBytes { raw in try bytes.append(bytes: raw) }
        try offsets.append(UInt32(bytes.count))
    }

    /// Row `i`: its binding and its columns; a position the rows do not
    /// carry comes from `binding` (the request's values for it) through
    /// `parameter`, or is nil.
    public func row(_ i: Int) -> (binding: Int, e: Int64?, a: Keyword?, v: Value?, tx: Int64?) {
        bytes.withElements { b in
            var r = WireReader(bytes: UnsafeRawBufferPointer(b), at: Int(offsets[i]))
            let binding = Int(r.u32())
            let e = projection.contains(.e) ? r.i64() : nil
            let a = projection.contains(.a) ? Keyword(r.text()) : nil
            let v = projection.contains(.v) ? r.value() : nil
            let tx = projection.contains(.tx) ? r.i64() : nil
            return (binding, e, a, v, tx)
        }
    }
}

extension ScanRows {
    /// A row in a replica's words: its binding's index and the columns it
    /// carries (nil: not carried).
    struct EncodedRow {
        var binding: Int
        var e: Int64?
        var a: UInt32?
        var v: EncodedValue?
        var tx: Int64?
    }

    /// Calls `body` with every row, text interned in `interner`. Rows of
    /// one attribute follow each other, so its text is interned once per run.
    func forEachEncoded(interner: Interner, _ body: (EncodedRow) throws -> Void) throws {
        let projection = self.projection
        try bytes.withElements { b in
            let raw = UnsafeRawBufferPointer(b)
            var lastAttribute: (bytes: UnsafeRawBufferPointer, id: UInt32)?
            for i in 0..<count {
                var r = WireReader(bytes: raw, at: Int(offsets[i]))
                var row = EncodedRow(binding: Int(r.u32()))
                if projection.contains(.e) { row.e = r.i64() }
                if projection.contains(.a) {
                    let text = r.textBytes()
                    if let last = lastAttribute, last.bytes.elementsEqual(text) {
                        row.a = last.id
                    } else {
                        let id = UInt32(truncatingIfNeeded: try interner.intern(contentsOf: text))
                        lastAttribute = (text, id)
                        row.a = id
                    }
                }
                if projection.contains(.v) { row.v = try r.encodedValue(interner) }
                if projection.contains(.tx) { row.tx = r.i64() }
                try body(row)
            }
        }
    }
}

/// Writes the wire form.
struct WireWriter {
    var out: [UInt8] = []

    mutating func u32(_ x: UInt32) { withUnsafeBytes(of: x.littleEndian) { out.append(contentsOf: $0) } }
    mutating func i64(_ x: Int64) { withUnsafeBytes(of: x.littleEndian) { out.append(contentsOf: $0) } }

    mutating func text(_ s: String) {
        u32(UInt32(s.utf8.count))
        out.append(contentsOf: s.utf8)
    }

    mutating func text(bytes: UnsafeRawBufferPointer) {
        u32(UInt32(bytes.count))
        out.append(contentsOf: bytes)
    }

    /// A store's encoded value in the form of ``value(_:)``, its text read
    /// from `interner` in place; false (with bytes written that the caller
    /// drops) when `interner` does not know the value's id.
    mutating func encoded(_ v: EncodedValue, interner: Interner) -> Bool {
        switch v.tag {
        case .int, .ref, .double, .instant:
            out.append(v.tag.rawValue)
            i64(Int64(bitPattern: v.word))
            return true
        case .string, .keyword:
            out.append(v.tag.rawValue)
            return interner.withBytes(for: v.word) { text(bytes: $0) } != nil
        case .bool, .uuid, .tuple:
            guard let decoded = Value(v, interner: interner) else { return false }
            value(decoded)
            return true
        }
    }

    mutating func value(_ v: Value) {
        out.append(v.tag.rawValue)
        switch v {
        case .int(let x), .ref(let x): i64(x)
        case .double(let d): i64(Int64(bitPattern: d.bitPattern))
        case .bool(let b): out.append(b ? 1 : 0)
        case .instant(let t): i64(t.millisecondsSinceEpoch)
        case .string(let s): text(s)
        case .keyword(let k): text(k.text)
        case .uuid(let u): out.append(contentsOf: Value.bytes(of: u))
        case .tuple(let items):
            u32(UInt32(items.count))
            for item in items { value(item) }
        }
    }
}

/// Reads the wire form written by ``WireWriter``; the bytes are trusted
/// (the engine wrote them).
struct WireReader {
    let bytes: UnsafeRawBufferPointer
    var at: Int

    mutating func u32() -> UInt32 {
        defer { at += 4 }
        return UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self))
    }

    mutating func i64() -> Int64 {
        defer { at += 8 }
        return Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: Int64.self))
    }

    mutating func text() -> String {
        String(decoding: textBytes(), as: UTF8.self)
    }

    mutating func textBytes() -> UnsafeRawBufferPointer {
        let n = Int(u32())
        defer { at += n }
        return UnsafeRawBufferPointer(rebasing: bytes[at..<at + n])
    }

    /// A value as `interner`'s word and tag, its text interned without a
    /// `String` in between; an entity reference reads as an integer.
    mutating func encodedValue(_ interner: Interner) throws(CoreError) -> EncodedValue {
        let tag = ValueTag(rawValue: bytes[at]) ?? .int
        switch tag {
        case .int, .ref, .instant:
            at += 1
            return EncodedValue(word: UInt64(bitPattern: i64()), tag: tag == .ref ? .int : tag)
        case .double:
            at += 1
            return EncodedValue(word: Value.canonicalBits(Double(bitPattern: UInt64(bitPattern: i64()))), tag: .double)
        case .string, .keyword:
            at += 1
            return EncodedValue(word: try interner.intern(contentsOf: textBytes()), tag: tag)
        case .bool, .uuid, .tuple:
            return try value().encoded(in: interner)
        }
    }

    mutating func value() -> Value {
        let tag = ValueTag(rawValue: bytes[at]) ?? .int
        at += 1
        switch tag {
        case .int: return .int(i64())
        case .ref: return .ref(i64())
        case .double: return .double(Double(bitPattern: UInt64(bitPattern: i64())))
        case .bool:
            defer { at += 1 }
            return .bool(bytes[at] != 0)
        case .instant: return .instant(Instant(millisecondsSinceEpoch: i64()))
        case .string: return .string(text())
        case .keyword: return .keyword(Keyword(text()))
        case .uuid:
            defer { at += 16 }
            return .uuid(Value.uuid(bytes: Array(bytes[at..<at + 16]))!)
        case .tuple:
            let n = Int(u32())
            return .tuple((0..<n).map { _ in value() })
        }
    }
}
