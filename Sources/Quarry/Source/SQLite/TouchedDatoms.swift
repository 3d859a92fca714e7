/// The part of a SQLite store one transaction can read or change, read
/// through the indexes inside the write's SQLite transaction: the datoms of
/// every entity the transaction names (by id, lookup ref, ident or upsert),
/// the datoms that resolve its lookup refs, idents and unique-identity
/// upserts, and the references to the entities it retracts. The in-memory
/// transactor run over this part makes the same changes as over the whole
/// store: it never reads a datom outside it.
struct TouchedDatoms {
    private(set) var datoms: Set<SourceDatom> = []
    /// The largest entity id stored, nil in a store without datoms: fresh
    /// ids start above it even when the stored counter is behind.
    private(set) var largestEntity: Int64?
    /// Whether the store held no datom: the part read is then the whole.
    var isWhole: Bool { largestEntity == nil }
    private let byEntity, byValue, byReference, byAttribute: SQLiteStatement
    private var readIdents = false
    /// Entities found by each value probed: a value named again is not read again.
    private var probed: [[SQLiteValue]: [Int64]] = [:]
    private var loadedEntities: Set<Int64> = []
    private var attributes = RepeatedText<Keyword>()

    private init(_ connection: SQLiteConnection) throws {
        let columns = "SELECT e, a, vt, v, tx FROM datoms"
        byEntity = try connection.prepare("\(columns) WHERE e = ?")
        byValue = try connection.prepare("\(columns) WHERE a = ? AND vt = ? AND v = ?")
        byReference = try connection.prepare("\(columns) WHERE vt = ? AND v = ?")
        byAttribute = try connection.prepare("\(columns) WHERE a = ?")
    }

    /// Reads what `data` touches, against the stored `attributes` and those
    /// the data declares.
    static func read(for data: EDN, attributes: [Attribute], from connection: SQLiteConnection) throws -> TouchedDatoms {
        var touched = try TouchedDatoms(connection)
        // A store without datoms has nothing to read (a load into a new
        // store): the data is then parsed once, by the transactor.
        let largest = try connection.prepare("SELECT MAX(e) FROM datoms")
        guard try largest.step(), largest.type(0) != .null else { return touched }
        guard largest.type(0) == .integer else { throw ScanError("a datom's entity is not an integer") }
        // Transaction and attribute entities lie above user ids: not counted.
        let user = try connection.prepare("SELECT MAX(e) FROM datoms WHERE e < ? OR e >= ?")
        try user.bind([.int(Database.systemEntities.lowerBound), .int(Database.systemEntities.upperBound)])
        touched.largestEntity = try user.step() && user.type(0) == .integer ? max(0, user.int64(0)) : 0
        let interner = try Interner()
        var parser = TxParser(schema: try Schema(attributes, interner: interner)) { (k: Keyword) throws(CoreError) -> UInt32 in
            UInt32(truncatingIfNeeded: try interner.intern(k.text))
        }
        let ops = try parser.parse(data)
        var schema: [Keyword: Attribute] = [:]
        for a in parser.schema.attributes { schema[a.ident] = a }
        var entities: Set<Int64> = []
        var retracted: Set<Int64> = []
        for op in ops {
            let targets = try touched.resolve(op.entity, schema)
            entities.formUnion(targets)
            if op.kind == .retractEntity { retracted.formUnion(targets) }
            switch op.value {
            case .entity(let ref):
                _ = try touched.resolve(ref, schema)
            case .value(let v):
                let attribute = schema[op.attribute]
                if attribute?.valueType == .ref, case .keyword(let k) = v { _ = try touched.ident(k) }
                if op.kind == .add, case .tempid = op.entity, attribute?.unique == .identity {
                    entities.formUnion(try touched.holders(of: op.attribute, v, schema))
                }
            case .none:
                break
            }
        }
        for e in entities { try touched.entity(e) }
        for e in retracted { try touched.references(to: e) }
        return touched
    }

    /// The entities `ref` names, reading the datoms that resolve it.
    private mutating func resolve(_ ref: EntityRef, _ schema: [Keyword: Attribute]) throws -> [Int64] {
        switch ref {
        case .id(let e): return [e]
        case .tempid: return []
        case .ident(let k): return try ident(k)
        case .attribute(let k):
            // A new attribute's entity is allocated below every attribute entity: all are read.
            if !readIdents {
                readIdents = true
                _ = try read(byAttribute, [.text("db/ident")])
            }
            return try ident(k)
        case .lookup(let a, let form):
            guard let value = Value(edn: form) else { return [] }
            return try holders(of: a, value, schema)
        }
    }

    /// The entities holding `value` for `a`, as the transactor stores it
    /// (coerced to the attribute's type; a keyword of a reference
    /// attribute names an entity by its ident).
    private mutating func holders(of a: Keyword, _ value: Value, _ schema: [Keyword: Attribute]) throws -> [Int64] {
        guard let type = schema[a]?.valueType else { return try probe(a, value) }
        if type == .ref, case .keyword(let k) = value {
            return try ident(k).flatMap { try probe(a, .int($0)) }
        }
        return try probe(a, type.coerce(value))
    }

    /// The entities whose `:db/ident` is `k`.
    private mutating func ident(_ k: Keyword) throws -> [Int64] {
        try probe(Keyword("db/ident"), .keyword(k))
    }

    private mutating func probe(_ a: Keyword, _ value: Value) throws -> [Int64] {
        let key = Array(SQLiteSource.row(SourceDatom(e: 0, a: a, v: value, tx: 0))[1...3])
        if let known = probed[key] { return known }
        let found = try read(byValue, key).map(\.e)
        probed[key] = found
        return found
    }

    /// Every datom of entity `e`.
    private mutating func entity(_ e: Int64) throws {
        guard loadedEntities.insert(e).inserted else { return }
        _ = try read(byEntity, [.int(e)])
    }

    /// Every datom whose value is the entity id `e` (the transactor keeps
    /// those of reference attributes out when `e` is retracted).
    private mutating func references(to e: Int64) throws {
        _ = try read(byReference, [.int(Int64(ValueTag.int.rawValue)), .int(e)])
    }

    /// Runs `statement` with `parameters`, adding its rows.
    private mutating func read(_ statement: SQLiteStatement, _ parameters: [SQLiteValue]) throws -> [SourceDatom] {
        var rows: [SourceDatom] = []
        try statement.bind(parameters)
        defer { statement.reset() }
        while try statement.step() { rows.append(try SQLiteSource.datom(statement, from: 0, attributes: &attributes)) }
        datoms.formUnion(rows)
        return rows
    }
}
