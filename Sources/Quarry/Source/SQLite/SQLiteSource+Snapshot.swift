extension SQLiteSource {
    /// The whole store as an in-memory database value, read in one SQLite
    /// read transaction: a consistent snapshot, which later writes to the
    /// file do not change. Every stored value is checked as a scan checks it.
    public func database() async throws -> Database {
        return try fileErrors {
            try connection.execute("BEGIN")
            defer { try? connection.execute("COMMIT") }
            let attributes = try storedAttributes()
            var rows: [SourceDatom] = []
            var idents = RepeatedText<Keyword>()
            let s = try connection.prepare("SELECT e, a, vt, v, tx FROM datoms")
            while try s.step() { rows.append(try Self.datom(s, from: 0, attributes: &idents)) }
            return try Database.restoring(rows, attributes: attributes, maxEntity: try meta("max_entity"),
                                          nextTx: try nextTx())
        }
    }
}
