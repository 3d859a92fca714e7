#if Postgres
import Logging
import PostgresNIO
@_spi(Stores) import Quarry

/// Writes. A write runs in one `SERIALIZABLE` transaction: it reads only
/// what the transaction touches (``TouchedPlan``: three rounds of batched
/// scans), runs the in-memory transactor over that part (tempids, upserts,
/// lookup refs, cardinality, retractions: every rule of the in-memory
/// store), and writes the difference with the figures kept exact,
/// uniqueness checked against the whole table, the schema and the
/// counters. Two writers that overlap make the server fail one with a
/// serialization failure (every write updates `next_tx`); it is run again
/// from the start, after a random pause that doubles with each failure,
/// until it commits or ``writeRetryTime`` has passed. An error at any step
/// rolls back and leaves the store as it was.
extension PostgresSource: WritableDatomSource {
    /// How long a write that the server keeps failing for serialization is
    /// run again before the failure is reported. Every write updates
    /// `next_tx`, so writers at once fail all but one of each other's runs:
    /// a bound on runs is a bound on concurrent writers (eight runs failed
    /// 31 of 72 writes of 24 writers at once; sixteen, with pauses, still
    /// failed some).
    static let writeRetryTime: Duration = .seconds(30)

    /// The pause before the run after failed run `attempt`: random, up to
    /// 1 ms doubled per failure (at most 128 ms), so that writers that
    /// failed together do not all come back together.
    static func pause(after attempt: Int) -> Duration {
        .microseconds(Int.random(in: 0...(1000 << min(attempt - 1, 7))))
    }

    public func transact(_ data: EDN) async throws -> WriteSummary {
        try await write(data).summary
    }

    /// ``transact(_:)`` with its report: the transaction id, the datoms
    /// added and retracted, and the ids the tempids got. The report's
    /// databases hold only the part of the store the write read.
    public func write(_ data: EDN) async throws -> (summary: WriteSummary, report: TransactionReport) {
        try data.checkDepth(what: "the transaction data")
        let logger = self.logger
        return try await withConnection { conn in
            var attempt = 0
            let giveUp = ContinuousClock.now + Self.writeRetryTime
            while true {
                attempt += 1
                self.counted()
                try await conn.send("BEGIN ISOLATION LEVEL SERIALIZABLE", logger: logger)
                do {
                    let summary = try await self.write(data, on: conn)
                    self.counted()
                    try await conn.send("COMMIT", logger: logger)
                    return summary
                } catch {
                    self.counted()
                    _ = try? await conn.send("ROLLBACK", logger: logger)
                    if Self.isSerializationFailure(error), ContinuousClock.now < giveUp {
                        try await Task.sleep(for: Self.pause(after: attempt))
                        continue
                    }
                    throw error
                }
            }
        }
    }

    /// A failure the server asks to retry: serialization (40001) or a deadlock (40P01).
    static func isSerializationFailure(_ error: any Error) -> Bool {
        guard let e = error as? PSQLError, let state = e.serverInfo?[.sqlState] else { return false }
        return state == "40001" || state == "40P01"
    }

    /// The write, inside the transaction.
    private func write(_ data: EDN, on conn: PostgresConnection) async throws
        -> (summary: WriteSummary, report: TransactionReport)
    {
        counted()
        var tables = 0
        for try await n in try await conn.send("""
            SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'quarry_meta'
            """, logger: logger).decode(Int64.self) { tables = Int(n) }
        if tables == 0 {
            counted()
            try await PostgresSchema.create(on: conn, logger: logger)
        }
        let attributes = try await storedAttributes(on: conn)
        counted()
        let stored = try await Self.meta("next_tx", on: conn, logger: logger)
        let before: Database
        var plan: TouchedPlan?
        if stored == 0 {
            // A store without a transaction yet: the transactor starts it.
            before = try Database.restoring([], attributes: attributes, maxEntity: 0, nextTx: Database().counters.nextTx)
        } else {
            var p = try TouchedPlan(data: data, attributes: attributes)
            try await read(&p, on: conn)
            counted()
            let maxEntity = max(try await Self.meta("max_entity", on: conn, logger: logger),
                                try await largestUserEntity(on: conn))
            before = try Database.restoring(Array(p.datoms), attributes: attributes, maxEntity: maxEntity, nextTx: stored)
            plan = p
        }
        let report = try before.transactReport(data)
        return (try await store(report, was: attributes, checkUnique: plan != nil, on: conn), report)
    }

    /// The three rounds of ``TouchedPlan``, each a few batched scans.
    private func read(_ plan: inout TouchedPlan, on conn: PostgresConnection) async throws {
        let everything: PositionSet = [.e, .a, .v, .tx]
        let ident = Keyword("db/ident")
        let idents = plan.idents
        if idents.all {
            let shape = ScanShape(source: name, attributes: [ident], parameters: [], parameterKinds: [], projection: everything)
            plan.found(try await datoms(ScanRequest(shape: shape, bindings: [[]]), on: conn))
        } else if !idents.keywords.isEmpty {
            let shape = ScanShape(source: name, attributes: [ident], parameters: .v, parameterKinds: [.keyword],
                                  projection: everything)
            plan.found(try await datoms(ScanRequest(shape: shape, bindings: idents.keywords.map { [.keyword($0)] }), on: conn))
        }
        // One request per attribute and kind of value.
        let probes = Dictionary(grouping: plan.probes) { [$0.attribute.text, "\($0.value.tag)"] }
        for group in probes.values {
            let first = group[0]
            let shape = ScanShape(source: name, attributes: [first.attribute], parameters: .v,
                                  parameterKinds: [first.value.tag], projection: everything)
            plan.found(try await datoms(ScanRequest(shape: shape, bindings: group.map { [$0.value] }), on: conn))
        }
        let entities = plan.entities
        for (ids, position) in [(entities.all, PositionSet.e), (entities.retracted, .v)] where !ids.isEmpty {
            // Every datom of the entities; every datom whose value is a retracted entity's id.
            let shape = ScanShape(source: name, attributes: [], parameters: position, parameterKinds: [.int],
                                  projection: everything)
            let request = ScanRequest(shape: shape, bindings: ids.sorted().map { [.int($0)] })
            for part in request.split(atMost: maxKeysPerRequest ?? .max) { plan.found(try await datoms(part, on: conn)) }
        }
    }

    /// The datoms answering `request`, each whole.
    private func datoms(_ request: ScanRequest, on conn: PostgresConnection) async throws -> [SourceDatom] {
        let rows = try await scan(request, account: nil, on: conn)
        let positions = request.shape.parameters.indexes
        return try (0..<rows.count).map { i in
            let r = rows.row(i)
            func bound(_ p: Int) -> Value? { positions.firstIndex(of: p).map { request.bindings[r.binding][$0] } }
            var e = r.e
            if e == nil, case .int(let bound)? = bound(0) { e = bound }
            guard let e, let a = r.a ?? request.shape.attributes.first,
                  let v = r.v ?? bound(2), let tx = r.tx else {
                throw PostgresStoreError("a datom read for a write came back incomplete")
            }
            return SourceDatom(e: e, a: a, v: v, tx: tx)
        }
    }

    /// The largest entity id of user datoms (transactions and attributes
    /// lie above them): fresh ids start above it.
    private func largestUserEntity(on conn: PostgresConnection) async throws -> Int64 {
        counted()
        let system = Database.systemEntities
        for try await (below, above) in try await conn.send("""
            SELECT (SELECT max(e) FROM quarry_datoms WHERE e < \(system.lowerBound)),
                   (SELECT max(e) FROM quarry_datoms WHERE e >= \(system.upperBound))
            """, logger: logger).decode((Int64?, Int64?).self) {
            return max(0, below ?? 0, above ?? 0)
        }
        return 0
    }

    /// Writes a transaction's changes inside the write's transaction:
    /// datoms, figures, the attributes the schema changed, the counters.
    /// `was`: the stored attributes before it.
    private func store(_ report: TransactionReport, was attributes: [Attribute], checkUnique: Bool,
                       on conn: PostgresConnection) async throws -> WriteSummary {
        if let nan = report.txData.first(where: { if case .double(let x) = $0.value { x.isNaN } else { false } }) {
            throw TransactionError("PostgreSQL keeps no NaN in Quarry's value index (a value of \(nan.attribute))",
                                   at: .unknown)
        }
        let removed = report.txData.filter { !$0.added }, added = report.txData.filter(\.added)
        var figures = try await storedFigures(Set(report.txData.map(\.attribute)), on: conn)
        // Removals first, each column's values apart so that its index serves them.
        for (column, changes) in Dictionary(grouping: removed, by: { PostgresValues.column($0.value.tag) }) {
            let rows = PostgresChangeRows(changes)
            counted()
            try await conn.send(rows.query("""
                DELETE FROM quarry_datoms d USING CHANGES
                WHERE d.e = r.e AND d.a = r.a AND d.tx = r.tx AND \(PostgresChangeRows.sameValue(column))
                """), logger: logger)
            try await tally(&figures, rows, column, sign: -1, on: conn)
        }
        for (column, changes) in Dictionary(grouping: added, by: { PostgresValues.column($0.value.tag) }) {
            try await tally(&figures, PostgresChangeRows(changes), column, sign: 1, on: conn)
        }
        var done = 0
        while done < added.count {
            let batch = added[done..<min(added.count, done + Self.loadBatch)]
            counted()
            try await conn.send(Self.insert(batch), logger: logger)
            done += batch.count
        }
        let after = report.dbAfter
        if checkUnique { try await self.checkUnique(added, schema: after.schema.attributes, was: attributes, on: conn) }
        try await save(figures, on: conn)
        try await saveSchema(after.schema.attributes, was: attributes, on: conn)
        let counters = after.counters
        counted()
        try await conn.send("""
            INSERT INTO quarry_meta (key, value) VALUES ('max_entity', \(counters.maxEntity)), ('next_tx', \(counters.nextTx))
            ON CONFLICT (key) DO UPDATE SET value = excluded.value
            """, logger: logger)
        if announcesWrites {
            // Delivered to listeners when the transaction commits, not before.
            counted()
            let payload = Self.payload(snapshot: counters.nextTx, attributes: Set(figures.keys))
            try await conn.send("SELECT pg_notify(\(Self.noticeChannel), \(payload))", logger: logger)
        }
        return WriteSummary(attributes: Set(figures.keys), datoms: report.txData.count)
    }
}
#endif
