/// The part of a SQLite store one transaction can read or change (see
/// ``TouchedPlan``), read through the indexes inside the write's SQLite
/// transaction.
struct TouchedDatoms {
    private(set) var datoms: Set<SourceDatom> = []
    /// The largest entity id stored, nil in a store without datoms: fresh
    /// ids start above it even when the stored counter is behind.
    private(set) var largestEntity: Int64?
    /// Whether the store held no datom: the part read is then the whole.
    var isWhole: Bool { largestEntity == nil }
    private let byEntity, byValue, byReference, byAttribute: SQLiteStatement
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
        var plan = try TouchedPlan(data: data, attributes: attributes)
        let idents = plan.idents
        if idents.all {
            plan.found(try touched.read(touched.byAttribute, [.text("db/ident")]))
        } else {
            for k in idents.keywords { plan.found(try touched.read(touched.byValue, Self.key(Keyword("db/ident"), .keyword(k)))) }
        }
        for p in plan.probes { plan.found(try touched.read(touched.byValue, Self.key(p.attribute, p.value))) }
        let entities = plan.entities
        for e in entities.all { plan.found(try touched.read(touched.byEntity, [.int(e)])) }
        // Every datom whose value is a retracted entity's id (the transactor
        // keeps those of reference attributes out).
        for e in entities.retracted {
            plan.found(try touched.read(touched.byReference, [.int(Int64(ValueTag.int.rawValue)), .int(e)]))
        }
        touched.datoms = plan.datoms
        return touched
    }

    /// The stored attribute, tag and value of `value` for `a`.
    private static func key(_ a: Keyword, _ value: Value) -> [SQLiteValue] {
        Array(SQLiteSource.row(SourceDatom(e: 0, a: a, v: value, tx: 0))[1...3])
    }

    /// Runs `statement` with `parameters`: its rows.
    private mutating func read(_ statement: SQLiteStatement, _ parameters: [SQLiteValue]) throws -> [SourceDatom] {
        var rows: [SourceDatom] = []
        try statement.bind(parameters)
        defer { statement.reset() }
        while try statement.step() { rows.append(try SQLiteSource.datom(statement, from: 0, attributes: &attributes)) }
        return rows
    }
}
