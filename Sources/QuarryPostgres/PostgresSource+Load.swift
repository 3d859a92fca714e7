#if Postgres
import NIOCore
import PostgresNIO
import Quarry

extension PostgresSource {
    /// Datoms inserted per statement while loading, as arrays.
    static let loadBatch = 10_000

    /// Loads transaction data (an EDN vector, as ``Quarry/Database/transact(_:)``
    /// takes it) into the store, making Quarry's tables where they are
    /// missing: all of it in one transaction, or nothing. The store must
    /// hold no datoms yet.
    public func load(_ data: EDN, progress: (@Sendable (Int, Int) -> Void)? = nil) async throws -> WriteSummary {
        let report = try Database().transactReport(data)
        let after = report.dbAfter
        let description = try await after.describe()
        let logger = self.logger
        return try await withConnection { conn in
            self.counted()
            try await PostgresSchema.create(on: conn, logger: logger)
            self.counted()
            try await conn.send("BEGIN ISOLATION LEVEL SERIALIZABLE", logger: logger)
            do {
                self.counted()
                for try await _ in try await conn.send("SELECT 1 FROM quarry_meta WHERE key = 'next_tx'", logger: logger) {
                    throw PostgresStoreError("\(self.url) already holds a Quarry store; load into an empty database")
                }
                let changes = Self.attributeOrder(report.txData.filter(\.added))
                var done = 0
                while done < changes.count {
                    let batch = changes[done..<min(changes.count, done + Self.loadBatch)]
                    self.counted()
                    try await conn.send(Self.insert(batch), logger: logger)
                    done += batch.count
                    progress?(done, changes.count)
                }
                for a in after.schema.attributes {
                    self.counted()
                    try await conn.send("""
                        INSERT INTO quarry_attributes (ident, value_type, many, uniq, indexed, component)
                        VALUES (\(a.ident.text), \(a.valueType?.rawValue), \(a.cardinalityMany), \(a.unique?.rawValue),
                                \(a.indexed), \(a.isComponent))
                        """, logger: logger)
                }
                let figures = description.figures.sorted { $0.key < $1.key }
                self.counted()
                try await conn.send("""
                    INSERT INTO quarry_figures (a, datoms, entities, vals)
                    SELECT * FROM unnest(\(figures.map(\.key.text))::TEXT[], \(figures.map { Int64($0.value.datoms) })::BIGINT[],
                        \(figures.map { Int64($0.value.distinctEntities) })::BIGINT[],
                        \(figures.map { Int64($0.value.distinctValues) })::BIGINT[])
                    """, logger: logger)
                self.counted()
                try await conn.send("""
                    INSERT INTO quarry_meta (key, value) VALUES ('max_entity', \(description.maxEntity)),
                        ('next_tx', \(report.tx + 1))
                    """, logger: logger)
                self.counted()
                try await conn.send("COMMIT", logger: logger)
            } catch {
                _ = try? await conn.send("ROLLBACK", logger: logger)
                throw error
            }
            // Fresh statistics, or the server plans the first scans for an empty table. The
            // data is committed either way: a failure here is no failure of the load.
            self.counted()
            _ = try? await conn.send("ANALYZE quarry_datoms", logger: logger)
            return WriteSummary(attributes: Set(report.txData.map(\.attribute)), datoms: report.txData.count)
        }
    }

    /// `changes` in the order of the AEVT index, attribute (by name) then
    /// entity, as the load inserts them: the server's heap then keeps each
    /// attribute's datoms together, and a scan reading an attribute whole
    /// (every bar's open price) reads its few pages instead of a part of
    /// every page. OHLC's request took 10.8 ms in the server with its data
    /// so ordered against 21.5 in transaction order (`pg_stat_statements`,
    /// one run of each on one server).
    static func attributeOrder(_ changes: [DatomChange]) -> [DatomChange] {
        let names = Set(changes.map(\.attribute.text)).sorted()
        let rank = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        let keyed = changes.map { (rank: rank[$0.attribute.text]!, change: $0) }
        return keyed.sorted { ($0.rank, $0.change.entity) < ($1.rank, $1.change.entity) }.map(\.change)
    }

    /// One statement inserting `changes`, column by column as arrays.
    static func insert(_ changes: some Collection<DatomChange>) -> PostgresQuery {
        PostgresChangeRows(changes).query("INSERT INTO quarry_datoms (e, a, vt, vi, vd, vs, vb, tx) "
                                          + "SELECT e, a, vt, vi, vd, vs, vb, tx FROM CHANGES")
    }
}
#endif
