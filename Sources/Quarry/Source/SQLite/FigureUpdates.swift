/// The `figures` rows of the attributes a write touches, kept exact datom
/// by datom through the indexes (whether the entity or the value still has
/// a datom of the attribute), instead of counting whole attributes again.
struct FigureUpdates {
    private struct Counts {
        var datoms, entities, values: Int
    }

    private let connection: SQLiteConnection
    private let stored, entityHas, valueHas: SQLiteStatement
    private var counts: [Keyword: Counts] = [:]

    init(_ connection: SQLiteConnection) throws {
        self.connection = connection
        stored = try connection.prepare("SELECT datoms, entities, vals FROM figures WHERE a = ?")
        entityHas = try connection.prepare("SELECT EXISTS (SELECT 1 FROM datoms WHERE a = ? AND e = ?)")
        valueHas = try connection.prepare("SELECT EXISTS (SELECT 1 FROM datoms WHERE a = ? AND vt = ? AND v = ?)")
    }

    /// The attributes with a datom added or removed.
    var attributes: Set<Keyword> { Set(counts.keys) }

    /// Before `row` (the stored form of `d`) is inserted.
    mutating func adding(_ d: SourceDatom, _ row: [SQLiteValue]) throws {
        var c = try current(d.a)
        c.datoms = try Self.add(c.datoms, 1)
        if try !exists(entityHas, [row[1], row[0]]) { c.entities = try Self.add(c.entities, 1) }
        if try !exists(valueHas, Array(row[1...3])) { c.values = try Self.add(c.values, 1) }
        counts[d.a] = c
    }

    /// After `count` rows equal to `row` (the stored form of `d`) were deleted.
    mutating func removed(_ d: SourceDatom, _ row: [SQLiteValue], count: Int) throws {
        var c = try current(d.a)
        guard count > 0 else { return counts[d.a] = c }
        // A damaged file may hold figures below the truth: they stop at 0.
        c.datoms = max(0, c.datoms - count)
        if try !exists(entityHas, [row[1], row[0]]) { c.entities = max(0, c.entities - 1) }
        if try !exists(valueHas, Array(row[1...3])) { c.values = max(0, c.values - 1) }
        counts[d.a] = c
    }

    /// Writes the figures back; an attribute left without datoms has none.
    func save() throws {
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

    private mutating func current(_ a: Keyword) throws -> Counts {
        if let c = counts[a] { return c }
        try stored.bind([.text(a.text)])
        defer { stored.reset() }
        guard try stored.step() else { return Counts(datoms: 0, entities: 0, values: 0) }
        let n = try (0...2).map { try SQLiteSource.count(stored, column: $0, what: "figure of \(a)") }
        return Counts(datoms: n[0], entities: n[1], values: n[2])
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
