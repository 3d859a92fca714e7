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
                let changes = report.txData.filter(\.added)
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

    /// One statement inserting `changes`, column by column as arrays.
    static func insert(_ changes: some Collection<DatomChange>) -> PostgresQuery {
        PostgresChangeRows(changes).query("INSERT INTO quarry_datoms (e, a, vt, vi, vd, vs, vb, tx) "
                                          + "SELECT e, a, vt, vi, vd, vs, vb, tx FROM CHANGES")
    }
}
#endif
