import Foundation

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

    /// Makes room for `n` more rows of about the size of a row of
    /// integers: a source that knows how many rows an answer holds saves
    /// the growing.
    public func reserve(rows n: Int) throws(CoreError) {
        // A hint: past 2^20 rows (or below none) the rows grow as they come.
        let n = min(max(0, n), 1 << 20)
        let rowBytes = 4 + projection.rawValue.nonzeroBitCount * 9
        try bytes.reserve(bytes.count + n * rowBytes)
        try offsets.reserve(offsets.count + n)
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
        // Numbers and text, the values of nearly every datom, are sized
        // first and written in place: no scratch copy per row.
        let wantsE = projection.contains(.e), wantsA = projection.contains(.a)
        let wantsV = projection.contains(.v), wantsTx = projection.contains(.tx)
        var size = 4 + (wantsE ? 8 : 0) + (wantsTx ? 8 : 0) + (wantsA ? 4 + datom.a.text.utf8.count : 0)
        var direct = true
        if wantsV {
            switch datom.v {
            case .int, .ref, .double, .instant: size += 9
            case .string(let text): size += 5 + text.utf8.count
            case .keyword(let k): size += 5 + k.text.utf8.count
            default: direct = false
            }
        }
        if direct {
            return try append(binding: binding, size: size) { w in
                if wantsE { w.u64(UInt64(bitPattern: datom.e)) }
                if wantsA { w.text(datom.a.text) }
                if wantsV {
                    w.u8(datom.v.tag.rawValue)
                    switch datom.v {
                    case .int(let x), .ref(let x): w.u64(UInt64(bitPattern: x))
                    case .double(let d): w.u64(d.bitPattern)
                    case .instant(let t): w.u64(UInt64(bitPattern: t.millisecondsSinceEpoch))
                    case .string(let text): w.text(text)
                    case .keyword(let k): w.text(k.text)
                    default: break
                    }
                }
                if wantsTx { w.u64(UInt64(bitPattern: datom.tx)) }
            }
        }
        try append(binding: binding) { w, projection in
            if projection.contains(.e) { w.i64(datom.e) }
            if projection.contains(.a) { w.text(datom.a.text) }
            if projection.contains(.v) { w.value(datom.v) }
            if projection.contains(.tx) { w.i64(datom.tx) }
            return true
        }
    }

    /// ``append(binding:_:)`` straight from a store's datom, its text read
    /// in place from `interner` and written straight into the rows: no
    /// `Value`, `String` or scratch copy per row. A datom holding an id
    /// `interner` does not know is left out.
    func append(binding: Int, _ d: Datom, interner: Interner) throws {
        let tag = ValueTag(rawValue: d.vTag) ?? .int
        let wantsA = projection.contains(.a), wantsV = projection.contains(.v)
        if wantsV, tag == .bool || tag == .uuid || tag == .tuple {
            // Rare kinds go through `Value`.
            guard let v = Value(d.value, interner: interner) else { return }
            return try append(binding: binding) { w, projection in
                if projection.contains(.e) { w.i64(d.e) }
                if projection.contains(.a) {
                    guard interner.withBytes(for: UInt64(d.a), { w.text(bytes: $0) }) != nil else { return false }
                }
                w.value(v)
                if projection.contains(.tx) { w.i64(d.tx) }
                return true
            }
        }
        let textValue = wantsV && (tag == .string || tag == .keyword)
        let e = projection.contains(.e), tx = projection.contains(.tx)
        // An unknown id gives nil from `withBytes`: the row is left out.
        _ = try interner.withBytes(optional: wantsA ? UInt64(d.a) : nil) { a in
            try interner.withBytes(optional: textValue ? d.v : nil) { text in
                var size = 4 + (e ? 8 : 0) + (tx ? 8 : 0)
                if let a { size += 4 + a.count }
                if wantsV { size += 1 + (text.map { 4 + $0.count } ?? 8) }
                try append(binding: binding, size: size) { w in
                    if e { w.u64(UInt64(bitPattern: d.e)) }
                    if let a { w.text(a) }
                    if wantsV {
                        w.u8(tag.rawValue)
                        if let text { w.text(text) } else { w.u64(d.v) }
                    }
                    if tx { w.u64(UInt64(bitPattern: d.tx)) }
                }
            }
        }
    }

    /// Appends `count` rows for `binding` (not below the last row's): the
    /// datoms of `attribute` whose values are numbers of one kind, `tag`
    /// (`.int`, `.ref`, `.double` or `.instant`). Row `i` holds entity
    /// `entity(i)`, the value whose 64 bits are `word(i)` (an integer's
    /// or instant's two's complement, a double's `bitPattern`) and
    /// transaction `tx(i)`, each where the projection carries it (only
    /// those are asked for). A source reading a column at a time
    /// (PostgreSQL's arrays) makes no `Value` or ``SourceDatom`` a row,
    /// and the rows are sized once. Byte for byte the rows
    /// ``append(binding:_:)`` writes for the same datoms. When a closure
    /// throws, the rows before it stay appended.
    public func append(binding: Int, attribute: Keyword, numbers tag: ValueTag, count: Int,
                       entity: (Int) throws -> Int64, word: (Int) throws -> UInt64,
                       tx: (Int) throws -> Int64) throws {
        guard tag == .int || tag == .ref || tag == .double || tag == .instant else {
            throw ScanError("rows of numbers cannot hold values tagged \(tag)")
        }
        guard count > 0 else { return }
        let wantsE = projection.contains(.e), wantsA = projection.contains(.a)
        let wantsV = projection.contains(.v), wantsTx = projection.contains(.tx)
        var name = attribute.text
        try name.withUTF8 { a in
            let size = 4 + (wantsE ? 8 : 0) + (wantsA ? 4 + a.count : 0) + (wantsV ? 9 : 0) + (wantsTx ? 8 : 0)
            let (total, overflow) = size.multipliedReportingOverflow(by: count)
            try Self.check(binding, rowBytes: overflow ? Int.max : total, after: bytes.count)
            try checkOrder(binding)
            try bytes.reserve(bytes.count + total)
            try offsets.reserve(offsets.count + count)
            let text = UnsafeRawBufferPointer(a)
            for i in 0..<count {
                let e = wantsE ? try entity(i) : 0
                let v = wantsV ? try word(i) : 0
                let t = wantsTx ? try tx(i) : 0
                if i == 0 { try startRow(binding) }
                try bytes.append(count: size) { p in
                    var w = WireRowWriter(at: p)
                    w.u32(UInt32(binding))
                    if wantsE { w.u64(UInt64(bitPattern: e)) }
                    if wantsA { w.text(text) }
                    if wantsV {
                        w.u8(tag.rawValue)
                        w.u64(v)
                    }
                    if wantsTx { w.u64(UInt64(bitPattern: t)) }
                }
                try offsets.append(UInt32(bytes.count))
            }
        }
    }

    /// Appends a row of exactly `size` bytes (binding included) for
    /// `binding`, written by `write` in place in the rows' memory.
    private func append(binding: Int, size: Int, _ write: (inout WireRowWriter) -> Void) throws {
        try Self.check(binding, rowBytes: size, after: bytes.count)
        try startRow(binding)
        try bytes.append(count: size) { p in
            var w = WireRowWriter(at: p)
            w.u32(UInt32(binding))
            write(&w)
            assert(w.at == p + size, "a row wrote other than its \(size) bytes")
        }
        try offsets.append(UInt32(bytes.count))
    }

    /// Throws unless `binding` fits the wire form's 32 bits, and a row of
    /// `rowBytes` after `held` bytes keeps every row's offset there too: a
    /// source's hostile or broken call is an error, not a trap.
    private static func check(_ binding: Int, rowBytes: Int, after held: Int) throws {
        guard binding >= 0, binding <= Int(UInt32.max) else {
            throw ScanError("a row's binding \(binding) is outside 0...\(UInt32.max)")
        }
        guard rowBytes <= Int(UInt32.max) - held else {
            throw ScanError("one response's rows pass 4 GiB: send fewer keys a request")
        }
    }

    /// Checks the order of bindings and opens `binding`'s group.
    private func startRow(_ binding: Int) throws {
        try checkOrder(binding)
        if groups.last?.binding != binding { groups.append((binding, count)) }
    }

    /// Throws when `binding` comes before the last row's.
    private func checkOrder(_ binding: Int) throws {
        if let last = groups.last?.binding, binding < last {
            throw ScanError("rows out of binding order (\(binding) after \(last))")
        }
    }

    /// Appends a row for binding `binding` (not below the last row's), its
    /// columns written by `write` into a writer reused for every row; a
    /// row `write` gives up on (false) is not appended.
    private func append(binding: Int, _ write: (inout WireWriter, PositionSet) -> Bool) throws {
        try Self.check(binding, rowBytes: 0, after: bytes.count)
        scratch.out.removeAll(keepingCapacity: true)
        scratch.u32(UInt32(binding))
        guard write(&scratch, projection) else { return }
        try Self.check(binding, rowBytes: scratch.out.count, after: bytes.count)
        try startRow(binding)
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
                    if let last = lastAttribute, last.bytes.count == text.count,
                       text.isEmpty || memcmp(last.bytes.baseAddress!, text.baseAddress!, text.count) == 0 {
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
        case .map:
            let items = v.flattened
            u32(UInt32(items.count))
            for item in items { value(item) }
        }
    }
}

/// Writes a row's wire form (as ``WireWriter`` does) in place, into
/// memory the rows reserved for exactly that row.
struct WireRowWriter {
    private(set) var at: UnsafeMutableRawPointer

    init(at: UnsafeMutableRawPointer) { self.at = at }

    @inline(__always) mutating func u8(_ x: UInt8) {
        at.storeBytes(of: x, as: UInt8.self)
        at += 1
    }

    @inline(__always) mutating func u32(_ x: UInt32) {
        at.storeBytes(of: x.littleEndian, as: UInt32.self)
        at += 4
    }

    @inline(__always) mutating func u64(_ x: UInt64) {
        at.storeBytes(of: x.littleEndian, as: UInt64.self)
        at += 8
    }

    /// Length, then the UTF-8 of `string` (as many bytes as its `utf8.count`).
    @inline(__always) mutating func text(_ string: String) {
        var string = string
        string.withUTF8 { text(UnsafeRawBufferPointer($0)) }
    }

    /// Length, then the bytes.
    @inline(__always) mutating func text(_ bytes: UnsafeRawBufferPointer) {
        u32(UInt32(bytes.count))
        if let base = bytes.baseAddress { at.copyMemory(from: base, byteCount: bytes.count) }
        at += bytes.count
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
        case .bool, .uuid, .tuple, .map:
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
        case .map:
            let n = Int(u32())
            return .map(Value.map(alternating: (0..<n).map { _ in value() }))
        }
    }
}
