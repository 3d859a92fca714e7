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
        if let last = groups.last?.binding {
            guard binding >= last else { throw ScanError("rows out of binding order (\(binding) after \(last))") }
            if binding != last { groups.append((binding, count)) }
        } else {
            groups.append((binding, 0))
        }
        var w = WireWriter()
        w.u32(UInt32(binding))
        if projection.contains(.e) { w.i64(datom.e) }
        if projection.contains(.a) { w.text(datom.a.text) }
        if projection.contains(.v) { w.value(datom.v) }
        if projection.contains(.tx) { w.i64(datom.tx) }
        let out = w.out
        try out.withUnsafeBytes { raw in try bytes.append(bytes: raw) }
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

/// Writes the wire form.
struct WireWriter {
    var out: [UInt8] = []

    mutating func u32(_ x: UInt32) { withUnsafeBytes(of: x.littleEndian) { out.append(contentsOf: $0) } }
    mutating func i64(_ x: Int64) { withUnsafeBytes(of: x.littleEndian) { out.append(contentsOf: $0) } }

    mutating func text(_ s: String) {
        let utf8 = Array(s.utf8)
        u32(UInt32(utf8.count))
        out.append(contentsOf: utf8)
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
        let n = Int(u32())
        defer { at += n }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[at..<at + n]), as: UTF8.self)
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
