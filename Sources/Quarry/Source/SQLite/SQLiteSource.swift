import Foundation

/// Datoms in a SQLite file (Debian's libsqlite3): one `datoms` table with
/// covering indexes for the EAVT, AEVT, AVET and VAET access paths, the
/// schema in `attributes`, per-attribute figures in `figures`.
///
/// A batched scan is one statement: the bindings travel as a `VALUES` list
/// of bound parameters (never spliced into the SQL text) joined with the
/// datoms, ordered by binding. Statements executed are counted: against
/// SQLite they are the round trips.
public actor SQLiteSource: WritableDatomSource {
    public nonisolated let name: String
    public nonisolated let path: String
    let connection: SQLiteConnection
    /// Statements executed (one per scan, one per description).
    public private(set) var statements = 0

    /// SQLite allows 32,766 bound parameters per statement; a binding takes
    /// one per parameter, and a few are kept for the attributes.
    public nonisolated var maxKeysPerRequest: Int? { 8_000 }

    /// Opens (creating when missing) the database at `path`.
    public init(path: String) throws {
        self.path = path
        name = "sqlite:" + (path as NSString).lastPathComponent
        connection = try SQLiteConnection(path: path)
        try connection.execute(Self.schemaSQL)
    }

    static let schemaSQL = """
        PRAGMA journal_mode = WAL;
        CREATE TABLE IF NOT EXISTS datoms (e INTEGER NOT NULL, a TEXT NOT NULL, vt INTEGER NOT NULL, v, tx INTEGER NOT NULL);
        CREATE INDEX IF NOT EXISTS datoms_eavt ON datoms (e, a, vt, v, tx);
        CREATE INDEX IF NOT EXISTS datoms_aevt ON datoms (a, e, vt, v, tx);
        CREATE INDEX IF NOT EXISTS datoms_avet ON datoms (a, vt, v, e, tx);
        CREATE INDEX IF NOT EXISTS datoms_vaet ON datoms (vt, v, a, e, tx);
        CREATE TABLE IF NOT EXISTS attributes (ident TEXT PRIMARY KEY, value_type TEXT, many INTEGER NOT NULL,
            uniq TEXT, indexed INTEGER NOT NULL, component INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS figures (a TEXT PRIMARY KEY, datoms INTEGER NOT NULL, entities INTEGER NOT NULL,
            vals INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
        """

    public func describe() async throws -> SourceDescription {
        statements += 1
        return try describeNow()
    }

    func describeNow() throws -> SourceDescription {
        var attributes: [Attribute] = []
        let a = try connection.prepare("SELECT ident, value_type, many, uniq, indexed, component FROM attributes")
        while try a.step() {
            attributes.append(Attribute(ident: Keyword(a.text(0)), valueType: AttributeType(rawValue: a.text(1)),
                                        cardinalityMany: a.int64(2) != 0, unique: Uniqueness(rawValue: a.text(3)),
                                        indexed: a.int64(4) != 0, isComponent: a.int64(5) != 0))
        }
        var figures: [Keyword: SourceDescription.AttributeFigures] = [:]
        var total = 0
        let f = try connection.prepare("SELECT a, datoms, entities, vals FROM figures")
        while try f.step() {
            figures[Keyword(f.text(0))] = .init(datoms: Int(f.int64(1)), distinctEntities: Int(f.int64(2)),
                                                distinctValues: Int(f.int64(3)))
            total += Int(f.int64(1))
        }
        return SourceDescription(attributes: attributes, figures: figures, datoms: total, maxEntity: try meta("max_entity"))
    }

    func meta(_ key: String) throws -> Int64 {
        let s = try connection.prepare("SELECT value FROM meta WHERE key = ?")
        try s.bind([.text(key)])
        return try s.step() ? s.int64(0) : 0
    }

    public func scan(_ request: ScanRequest, account: MemoryAccount?) async throws -> ScanRows {
        let shape = request.shape
        if let limit = maxKeysPerRequest, request.bindings.count > limit {
            throw ScanError("\(name) takes at most \(limit) keys per statement, \(request.bindings.count) sent")
        }
        let rows = try ScanRows(projection: shape.projection, account: account)
        guard !request.bindings.isEmpty else { return rows }
        let (sql, parameters) = Self.scanSQL(request)
        let statement = try connection.prepare(sql)
        try statement.bind(parameters)
        statements += 1
        while try statement.step() {
            let datom = SourceDatom(e: statement.int64(1), a: Keyword(statement.text(2)),
                                    v: try Self.value(statement, tag: statement.int64(3), column: 4), tx: statement.int64(5))
            if !shape.filter.isEmpty, !shape.filter.admits(datom.v) { continue }
            try rows.append(binding: Int(statement.int64(0)), datom)
        }
        return rows
    }

    /// The statement of a batched scan and its parameters: the bindings as
    /// a VALUES list joined on the bound positions, the attributes as an IN
    /// list, rows in binding order.
    static func scanSQL(_ request: ScanRequest) -> (String, [SQLiteValue]) {
        let shape = request.shape
        let positions = shape.parameters.indexes
        var parameters: [SQLiteValue] = []
        var conditions: [String] = []
        var source = "datoms d"
        var key = "0"
        if !positions.isEmpty {
            let columns = (0..<positions.count).map { "p\($0)" }
            let row = "(" + Array(repeating: "?", count: positions.count + 1).joined(separator: ", ") + ")"
            source = "(WITH k(i, \(columns.joined(separator: ", "))) AS (VALUES "
                + Array(repeating: row, count: request.bindings.count).joined(separator: ", ")
                + ") SELECT * FROM k) k CROSS JOIN datoms d"
            key = "k.i"
            for (i, binding) in request.bindings.enumerated() {
                parameters.append(.int(Int64(i)))
                for (j, p) in positions.enumerated() { parameters.append(sqlValue(binding[j], position: p)) }
            }
            for (j, p) in positions.enumerated() {
                switch p {
                case 0: conditions.append("d.e = k.p\(j)")
                case 1: conditions.append("d.a = k.p\(j)")
                case 2:
                    conditions.append("d.vt = ? AND d.v = k.p\(j)")
                    parameters.append(.int(Int64(storedTag(shape.parameterKinds[j]).rawValue)))
                default: conditions.append("d.tx = k.p\(j)")
                }
            }
        }
        if !shape.attributes.isEmpty {
            conditions.append("d.a IN (" + Array(repeating: "?", count: shape.attributes.count).joined(separator: ", ") + ")")
            parameters += shape.attributes.map { .text($0.text) }
        }
        let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        let order = positions.isEmpty ? "" : " ORDER BY k.i"
        return ("SELECT \(key), d.e, d.a, d.vt, d.v, d.tx FROM \(source)\(filter)\(order)", parameters)
    }

    /// References are stored as integers, as in the in-memory store.
    static func storedTag(_ t: ValueTag) -> ValueTag { t == .ref ? .int : t }

    static func sqlValue(_ v: Value, position: Int) -> SQLiteValue {
        switch v {
        case .int(let x), .ref(let x): .int(x)
        case .double(let d): .double(d)
        case .bool(let b): .int(b ? 1 : 0)
        case .string(let s): .text(s)
        case .keyword(let k): .text(k.text)
        case .instant(let t): .int(t.millisecondsSinceEpoch)
        case .uuid(let u): .blob(Value.bytes(of: u))
        case .tuple(let items):
            .blob({ var w = WireWriter(); w.value(.tuple(items)); return w.out }())
        }
    }

    /// The value a row stores in `column` under `tag`. The file is not
    /// trusted: an unknown tag or a malformed blob is an error.
    static func value(_ s: SQLiteStatement, tag: Int64, column: Int) throws -> Value {
        guard let t = ValueTag(rawValue: UInt8(truncatingIfNeeded: tag)), Int64(t.rawValue) == tag else {
            throw ScanError("a datom has the unknown value tag \(tag)")
        }
        switch t {
        case .int, .ref: return .int(s.int64(column))
        case .double: return .double(s.double(column))
        case .bool: return .bool(s.int64(column) != 0)
        case .string: return .string(s.text(column))
        case .keyword: return .keyword(Keyword(s.text(column)))
        case .instant: return .instant(Instant(millisecondsSinceEpoch: s.int64(column)))
        case .uuid, .tuple: return try decodeBlob(s.blob(column), tag: t)
        }
    }

    /// A UUID or tuple stored as a blob, checked byte by byte: lengths,
    /// tags and nesting (at most ``EDN/maxDepth``) come from a file.
    @_spi(Testing) public static func decodeBlob(_ bytes: [UInt8], tag: ValueTag) throws -> Value {
        switch tag {
        case .uuid:
            guard let u = Value.uuid(bytes: bytes) else { throw ScanError("a stored UUID has \(bytes.count) bytes, not 16") }
            return .uuid(u)
        case .tuple:
            return try bytes.withUnsafeBytes { b in
                var r = CheckedWireReader(bytes: b)
                let v = try r.value(depth: 0)
                guard r.at == b.count else { throw ScanError("a stored tuple has \(b.count - r.at) bytes after its end") }
                return v
            }
        default:
            throw ScanError("a \(tag) value is not stored as a blob")
        }
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
        case .tuple:
            guard depth < EDN.maxDepth else { throw ScanError("a stored tuple nests deeper than \(EDN.maxDepth) levels") }
            let n = Int(try u32())
            // Each element takes at least 2 bytes: a count past that is a lie, not a reason to allocate.
            guard n <= (bytes.count - at) / 2 else { throw ScanError("a stored tuple claims \(n) elements") }
            var items: [Value] = []
            items.reserveCapacity(n)
            for _ in 0..<n { items.append(try value(depth: depth + 1)) }
            return .tuple(items)
        }
    }
}
