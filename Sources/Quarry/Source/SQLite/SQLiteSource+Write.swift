import Foundation

/// Writes. A write holds SQLite's write lock (`BEGIN IMMEDIATE`, waiting
/// up to the busy timeout for another writer) from before it reads
/// anything until it commits, so writers from any number of processes are
/// serialized and each resolves tempids, upserts and uniqueness against
/// the state it replaces.
///
/// A write reads only what the transaction touches (``TouchedDatoms``):
/// the datoms of the entities it names, those its lookup refs, upserts and
/// idents find, and the references to entities it retracts. The in-memory
/// transactor applies the transaction to that part (so every rule of the
/// in-memory store holds), and the difference is written with the figures
/// kept exact (``FigureUpdates``). Uniqueness is then checked against the
/// whole file through its value index. An error at any step rolls back and
/// leaves the file as it was.
extension SQLiteSource {
    public func transact(_ data: EDN) async throws -> WriteSummary {
        try write(data, progress: nil)
    }

    /// ``transact(_:)`` reporting datoms written so far and the total.
    public func write(_ data: EDN, progress: (@Sendable (Int, Int) -> Void)?) throws -> WriteSummary {
        try written(data, progress: progress).summary
    }

    /// ``transact(_:)`` with its report: the transaction id, the datoms
    /// added and retracted, and the ids the tempids got. The report's
    /// databases hold only the part of the store the write read. Writers
    /// in other processes wait for each other (one transaction at a
    /// time), where a ``Connection`` over the file must be its only writer.
    public func write(_ data: EDN) throws -> (summary: WriteSummary, report: TransactionReport) {
        try written(data, progress: nil)
    }

    private func written(_ data: EDN, progress: (@Sendable (Int, Int) -> Void)?) throws
        -> (summary: WriteSummary, report: TransactionReport) {
        guard mode != .readOnly else {
            throw StoreError("opened read-only; open it with .readWrite to write", path: path)
        }
        try data.checkDepth(what: "the transaction data")
        return try fileErrors {
            try connection.execute("BEGIN IMMEDIATE")
            do {
                let written = try writeLocked(data, progress: progress)
                try connection.execute("COMMIT")
                return written
            } catch {
                try? connection.execute("ROLLBACK")
                throw error
            }
        }
    }

    /// Creates a store at `path` that holds `data`, all at once: the store
    /// is built and loaded under a temporary name beside `path` and linked
    /// into place whole, so a failed load leaves nothing behind and no
    /// reader ever sees a half-loaded store. Returns nil, making nothing,
    /// when something already exists at `path` (open it with
    /// ``OpenMode/readWrite`` and write to it instead).
    public static func create(path: String, loading data: EDN,
                              progress: (@Sendable (Int, Int) -> Void)? = nil) async throws -> WriteSummary? {
        if FileManager.default.fileExists(atPath: path) { return nil }
        let temporary = try SQLiteStoreFile.emptyStore(beside: path)
        defer { SQLiteStoreFile.remove(temporary) }
        let summary: WriteSummary
        do {
            // The source closes its connection when this scope ends, before the link.
            let source = try SQLiteSource(path: temporary, mode: .readWrite)
            summary = try await source.write(data, progress: progress)
        } catch let error as StoreError {
            throw StoreError(error.message, path: path)
        }
        return try SQLiteStoreFile.publish(temporary, at: path) ? summary : nil
    }

    /// The write, inside the transaction that holds the lock.
    private func writeLocked(_ data: EDN, progress: (@Sendable (Int, Int) -> Void)?) throws
        -> (summary: WriteSummary, report: TransactionReport) {
        let attributes = try storedAttributes()
        let touched = try TouchedDatoms.read(for: data, attributes: attributes, from: connection)
        let before = try Database.restoring(Array(touched.datoms), attributes: attributes,
                                            maxEntity: max(try meta("max_entity"), touched.largestEntity ?? 0),
                                            nextTx: try nextTx())
        let report = try before.transactReport(data, at: nil, depthChecked: true)
        // Over a whole store the transactor has checked uniqueness already.
        return (try store(report, was: attributes, checkUnique: !touched.isWhole, progress: progress), report)
    }

    /// Appends what a ``Connection``'s transaction changed, in one SQLite
    /// transaction: the datoms it added and retracted, the schema, the
    /// counters. The connection's database is the whole store, so the
    /// transactor has checked everything; the store must be as the
    /// connection last left it (no other writer since), or nothing is written.
    func append(_ report: TransactionReport) throws -> WriteSummary {
        guard mode != .readOnly else {
            throw StoreError("opened read-only; open it with .readWrite to write", path: path)
        }
        return try fileErrors {
            try connection.execute("BEGIN IMMEDIATE")
            do {
                let next = try nextTx()
                guard next == report.tx else {
                    throw StoreError("another writer changed the store since this connection read it "
                                     + "(its next transaction is \(next), not \(report.tx)); open it again", path: path)
                }
                let summary = try store(report, was: try storedAttributes(), checkUnique: false, progress: nil)
                try connection.execute("COMMIT")
                return summary
            } catch {
                try? connection.execute("ROLLBACK")
                throw error
            }
        }
    }

    /// Writes a transaction's changes inside the SQLite transaction that
    /// holds the lock: datoms, figures, the attributes the schema changed,
    /// the counters. `was`: the stored attributes before it.
    private func store(_ report: TransactionReport, was attributes: [Attribute], checkUnique: Bool,
                       progress: (@Sendable (Int, Int) -> Void)?) throws -> WriteSummary {
        let after = report.dbAfter
        var added: [SourceDatom] = [], removed: [SourceDatom] = []
        for c in report.txData {
            let d = SourceDatom(e: c.entity, a: c.attribute, v: c.value, tx: c.tx)
            if c.added { added.append(d) } else { removed.append(d) }
        }
        var changes: [Keyword: Int] = [:]
        for d in added { changes[d.a, default: 0] += 1 }
        for d in removed { changes[d.a, default: 0] += 1 }
        var figures = try FigureUpdates(connection, changes: changes)
        let total = added.count + removed.count
        let delete = try connection.prepare("DELETE FROM datoms WHERE e = ? AND a = ? AND vt = ? AND v = ? AND tx = ?")
        let insert = try connection.prepare("INSERT INTO datoms (e, a, vt, v, tx) VALUES (?, ?, ?, ?, ?)")
        for (n, (d, isAdd)) in (removed.map { ($0, false) } + added.map { ($0, true) }).enumerated() {
            if case .double(let x) = d.v, x.isNaN {
                throw TransactionError("SQLite cannot store NaN (a value of \(d.a))", at: .unknown)
            }
            let row = Self.row(d)
            if isAdd {
                try figures.adding(d, row)
                try insert.run(row)
            } else {
                try delete.run(row)
                try figures.removed(d, row, count: connection.changes)
            }
            if n % 1000 == 999 || n == total - 1 { progress?(n + 1, total) }
        }
        if checkUnique { try self.checkUnique(added, schema: after.schema, was: attributes) }
        try figures.save()
        try saveSchema(after.schema.attributes, was: attributes)
        let meta = try connection.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)")
        try meta.run([.text("max_entity"), .int(after.maxEntity)])
        try meta.run([.text("next_tx"), .int(after.nextTx)])
        return WriteSummary(attributes: figures.attributes, datoms: total)
    }

    /// A datom as the five stored columns.
    static func row(_ d: SourceDatom) -> [SQLiteValue] {
        [.int(d.e), .text(d.a.text), .int(Int64(storedTag(d.v.tag).rawValue)), sqlValue(d.v, position: 2), .int(d.tx)]
    }

    /// Every unique value the write added is held by one entity in the
    /// whole file; an attribute the write made unique is checked whole.
    private func checkUnique(_ added: [SourceDatom], schema: Schema, was: [Attribute]) throws {
        let unique = Set(schema.attributes.filter { $0.unique != nil }.map(\.ident))
        guard !unique.isEmpty else { return }
        let holders = try connection.prepare("SELECT DISTINCT e FROM datoms WHERE a = ? AND vt = ? AND v = ? LIMIT 2")
        for d in added where unique.contains(d.a) {
            let row = Self.row(d)
            try holders.bind(Array(row[1...3]))
            var entities: [Int64] = []
            while try holders.step() { entities.append(holders.int64(0)) }
            holders.reset()
            if entities.count > 1 { throw Self.conflict(d.a, d.v, entities) }
        }
        let wasUnique = Set(was.filter { $0.unique != nil }.map(\.ident))
        let whole = try connection.prepare("""
            SELECT vt, v, MIN(e), MAX(e) FROM datoms WHERE a = ? GROUP BY vt, v HAVING COUNT(DISTINCT e) > 1 LIMIT 1
            """)
        for a in unique.subtracting(wasUnique).sorted() {
            try whole.bind([.text(a.text)])
            if try whole.step() {
                throw Self.conflict(a, try Self.value(whole, tag: whole.int64(0), column: 1), [whole.int64(2), whole.int64(3)])
            }
            whole.reset()
        }
    }

    private static func conflict(_ a: Keyword, _ v: Value, _ entities: [Int64]) -> TransactionError {
        .uniqueConflict(a, v, entities[0], entities[1])
    }

    /// Writes the attributes whose definition the write changed.
    private func saveSchema(_ attributes: [Attribute], was: [Attribute]) throws {
        let old = Dictionary(was.map { ($0.ident, $0) }, uniquingKeysWith: { a, _ in a })
        let statement = try connection.prepare("""
            INSERT OR REPLACE INTO attributes (ident, value_type, many, uniq, indexed, component) VALUES (?, ?, ?, ?, ?, ?)
            """)
        for a in attributes where old[a.ident] != a {
            try statement.run([.text(a.ident.text), a.valueType.map { .text($0.rawValue) } ?? .null,
                               .int(a.cardinalityMany ? 1 : 0), a.unique.map { .text($0.rawValue) } ?? .null,
                               .int(a.indexed ? 1 : 0), .int(a.isComponent ? 1 : 0)])
        }
    }
}

extension Database {
    /// A database of stored datoms and schema, as a source hands them back:
    /// what a store's write runs the transactor over (see ``TouchedPlan``).
    @_spi(Stores) public static func restoring(_ rows: [SourceDatom], attributes: [Attribute], maxEntity: Int64,
                                               nextTx: Int64) throws -> Database {
        let interner = try Interner()
        let schema = try Schema(attributes, interner: interner)
        return try Database(interner: interner, schema: schema, datoms: encode(rows, in: interner), maxEntity: maxEntity,
                            nextTx: nextTx)
    }
}

extension Database {
    /// The largest user entity id and the next transaction id: what a
    /// store keeps beside the datoms after a write.
    @_spi(Stores) public var counters: (maxEntity: Int64, nextTx: Int64) { (maxEntity, nextTx) }
}
