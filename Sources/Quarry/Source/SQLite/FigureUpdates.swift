/// The `figures` rows of the attributes a write touches. A write that
/// changes few of an attribute's datoms keeps them exact datom by datom
/// through the indexes (whether the entity or the value still has a datom
/// of the attribute); one that changes a quarter of them or more (a load
/// into a new store, say) counts the attribute again once it is written,
/// which then costs less than a probe per datom.
struct FigureUpdates {
    private struct Counts {
        var datoms, entities, values: Int
    }

    private let connection: SQLiteConnection
    private let entityHas, valueHas: SQLiteStatement
    private var counts: [Keyword: Counts] = [:]
    /// Attributes counted again when the write is done.
    private var recount: Set<Keyword> = []

    /// The figures of the attributes `changes` counts datoms added and removed of.
    init(_ connection: SQLiteConnection, changes: [Keyword: Int]) throws {
        self.connection = connection
        entityHas = try connection.prepare("SELECT EXISTS (SELECT 1 FROM datoms WHERE a = ? AND e = ?)")
        valueHas = try connection.prepare("SELECT EXISTS (SELECT 1 FROM datoms WHERE a = ? AND vt = ? AND v = ?)")
        let stored = try connection.prepare("SELECT datoms, entities, vals FROM figures WHERE a = ?")
        for (a, n) in changes {
            try stored.bind([.text(a.text)])
            var c = Counts(datoms: 0, entities: 0, values: 0)
            if try stored.step() {
                let x = try (0...2).map { try SQLiteSource.count(stored, column: $0, what: "figure of \(a)") }
                c = Counts(datoms: x[0], entities: x[1], values: x[2])
            }
            stored.reset()
            counts[a] = c
            if n >= c.datoms / 4 { recount.insert(a) }
        }
    }

    /// The attributes with a datom added or removed.
    var attributes: Set<Keyword> { Set(counts.keys) }

    /// Before `row` (the stored form of `d`) is inserted.
    mutating func adding(_ d: SourceDatom, _ row: [SQLiteValue]) throws {
        guard !recount.contains(d.a), var c = counts[d.a] else { return }
        c.datoms = try Self.add(c.datoms, 1)
        if try !exists(entityHas, [row[1], row[0]]) { c.entities = try Self.add(c.entities, 1) }
        if try !exists(valueHas, Array(row[1...3])) { c.values = try Self.add(c.values, 1) }
        counts[d.a] = c
    }

    /// After `count` rows equal to `row` (the stored form of `d`) were deleted.
    mutating func removed(_ d: SourceDatom, _ row: [SQLiteValue], count: Int) throws {
        guard !recount.contains(d.a), var c = counts[d.a], count > 0 else { return }
        // A damaged file may hold figures below the truth: they stop at 0.
        c.datoms = max(0, c.datoms - count)
        if try !exists(entityHas, [row[1], row[0]]) { c.entities = max(0, c.entities - 1) }
        if try !exists(valueHas, Array(row[1...3])) { c.values = max(0, c.values - 1) }
        counts[d.a] = c
    }

    /// Writes the figures back, counting again the attributes marked so;
    /// an attribute left without datoms has none.
    mutating func save() throws {
        let count = try connection.prepare("""
            SELECT COUNT(*), COUNT(DISTINCT e), (SELECT COUNT(*) FROM (SELECT DISTINCT vt, v FROM datoms WHERE a = ?1))
            FROM datoms WHERE a = ?1
            """)
        for a in recount {
            try count.bind([.text(a.text)])
            guard try count.step() else { throw ScanError("cannot count the datoms of \(a)") }
            counts[a] = Counts(datoms: Int(count.int64(0)), entities: Int(count.int64(1)), values: Int(count.int64(2)))
            count.reset()
        }
        let write = try connection.prepare("INSERT OR REPLACE INTO figures (a, datoms, entities, vals) VALUES (?, ?, ?, ?)")
        let drop = try connection.prepare("DELETE FROM figures WHERE a = ?")
        for (a, c) in counts.sorted(by: { $0.key < $1.key }) {
            if c.datoms == 0 {
                try drop.run([.text(a.text)])
            } else {
                try write.run([.text(a.text), .int(Int64(c.datoms)), .int(Int64(c.entities)), .int(Int64(c.values))])
            }
        }
    }

    private func exists(_ statement: SQLiteStatement, _ parameters: [SQLiteValue]) throws -> Bool {
        try statement.bind(parameters)
        defer { statement.reset() }
        return try statement.step() && statement.int64(0) != 0
    }

    private static func add(_ x: Int, _ n: Int) throws -> Int {
        let (sum, overflow) = x.addingReportingOverflow(n)
        guard !overflow else { throw ScanError("a stored figure is at its largest (\(x))") }
        return sum
    }
}
