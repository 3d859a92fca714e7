/// Writes: transaction data applied in memory (so every rule of the
/// in-memory store holds: schema, tempids, uniqueness), then the difference
/// written in one SQLite transaction. An error at any step leaves the file
/// as it was.
extension SQLiteSource {
    public func transact(_ data: EDN) async throws -> WriteSummary {
        try write(data, progress: nil)
    }

    /// ``transact(_:)`` reporting datoms written so far and the total.
    public func write(_ data: EDN, progress: (@Sendable (Int, Int) -> Void)?) throws -> WriteSummary {
        let before = try snapshot()
        let after = try before.transact(data)
        let (added, removed) = Self.difference(before, after)
        var touched = Set<Keyword>()
        try connection.execute("BEGIN IMMEDIATE")
        do {
            let delete = try connection.prepare("DELETE FROM datoms WHERE e = ? AND a = ? AND vt = ? AND v = ? AND tx = ?")
            let insert = try connection.prepare("INSERT INTO datoms (e, a, vt, v, tx) VALUES (?, ?, ?, ?, ?)")
            let total = added.count + removed.count
            for (n, (d, isAdd)) in (removed.map { ($0, false) } + added.map { ($0, true) }).enumerated() {
                touched.insert(d.a)
                let values: [SQLiteValue] = [.int(d.e), .text(d.a.text), .int(Int64(Self.storedTag(d.v.tag).rawValue)),
                                             Self.sqlValue(d.v, position: 2), .int(d.tx)]
                try (isAdd ? insert : delete).run(values)
                if n % 1000 == 999 || n == total - 1 { progress?(n + 1, total) }
            }
            let attribute = try connection.prepare("""
                INSERT OR REPLACE INTO attributes (ident, value_type, many, uniq, indexed, component) VALUES (?, ?, ?, ?, ?, ?)
                """)
            for a in after.schema.attributes {
                try attribute.run([.text(a.ident.text), a.valueType.map { .text($0.rawValue) } ?? .null,
                                   .int(a.cardinalityMany ? 1 : 0), a.unique.map { .text($0.rawValue) } ?? .null,
                                   .int(a.indexed ? 1 : 0), .int(a.isComponent ? 1 : 0)])
            }
            let figures = try connection.prepare("""
                INSERT OR REPLACE INTO figures (a, datoms, entities, vals)
                SELECT ?1, COUNT(*), COUNT(DISTINCT e), (SELECT COUNT(*) FROM (SELECT DISTINCT vt, v FROM datoms WHERE a = ?1))
                FROM datoms WHERE a = ?1
                """)
            for a in touched { try figures.run([.text(a.text)]) }
            try connection.execute("DELETE FROM figures WHERE datoms = 0")
            let meta = try connection.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)")
            try meta.run([.text("max_entity"), .int(after.maxEntity)])
            try meta.run([.text("next_tx"), .int(after.nextTx)])
            try connection.execute("COMMIT")
        } catch {
            try? connection.execute("ROLLBACK")
            throw error
        }
        return WriteSummary(attributes: touched, datoms: added.count + removed.count)
    }

    /// Every datom, as an in-memory database (the starting point of a write).
    func snapshot() throws -> Database {
        let s = try connection.prepare("SELECT e, a, vt, v, tx FROM datoms")
        var rows: [SourceDatom] = []
        while try s.step() {
            rows.append(SourceDatom(e: s.int64(0), a: Keyword(s.text(1)), v: try Self.value(s, tag: s.int64(2), column: 3),
                                    tx: s.int64(4)))
        }
        let next = try meta("next_tx")
        return try Database.restoring(rows, attributes: try describeNow().attributes, maxEntity: try meta("max_entity"),
                                      nextTx: next == 0 ? Database.firstTx : next)
    }

    /// The datoms only `after` holds, and those only `before` holds.
    static func difference(_ before: Database, _ after: Database) -> (added: [SourceDatom], removed: [SourceDatom]) {
        var added: [SourceDatom] = [], removed: [SourceDatom] = []
        before.datoms.withElements { old in
            after.datoms.withElements { new in
                var i = 0, j = 0
                while i < old.count || j < new.count {
                    if j == new.count || (i < old.count && Datom.eavt(old[i], new[j])) {
                        if let d = before.sourceDatom(old[i]) { removed.append(d) }
                        i += 1
                    } else if i == old.count || Datom.eavt(new[j], old[i]) {
                        if let d = after.sourceDatom(new[j]) { added.append(d) }
                        j += 1
                    } else {
                        i += 1
                        j += 1
                    }
                }
            }
        }
        return (added, removed)
    }
}

extension Database {
    /// A database of stored datoms and schema, as a source hands them back.
    static func restoring(_ rows: [SourceDatom], attributes: [Attribute], maxEntity: Int64, nextTx: Int64) throws -> Database {
        let interner = try Interner()
        let schema = try Schema(attributes, interner: interner)
        let datoms = CoreVector<Datom>()
        try datoms.reserve(rows.count)
        for r in rows {
            let v = try r.v.encoded(in: interner)
            try datoms.append(Datom(e: r.e, v: v.word, tx: r.tx, a: UInt32(truncatingIfNeeded: try interner.intern(r.a.text)),
                                    vTag: v.tag.rawValue))
        }
        return try Database(interner: interner, schema: schema, datoms: datoms, maxEntity: maxEntity, nextTx: nextTx)
    }
}
