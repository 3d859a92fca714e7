#if Postgres
import Logging
import PostgresNIO

/// Quarry's tables in PostgreSQL. Only SQL that Citus, YugabyteDB and
/// CockroachDB also take: `CREATE ... IF NOT EXISTS`, B-tree indexes (one
/// on an expression: strings are indexed by their first 256 characters,
/// which keeps a long string under the B-tree's row limit), `BIGINT`,
/// `DOUBLE PRECISION`, `TEXT`, `BYTEA`, `BOOLEAN`.
enum PostgresSchema {
    static let statements = [
        """
        CREATE TABLE IF NOT EXISTS quarry_datoms (e BIGINT NOT NULL, a TEXT NOT NULL, vt SMALLINT NOT NULL,
            vi BIGINT, vd DOUBLE PRECISION, vs TEXT, vb BYTEA, tx BIGINT NOT NULL)
        """,
        "CREATE INDEX IF NOT EXISTS quarry_datoms_eavt ON quarry_datoms (e, a)",
        "CREATE INDEX IF NOT EXISTS quarry_datoms_aevt ON quarry_datoms (a, e)",
        "CREATE INDEX IF NOT EXISTS quarry_datoms_avet_i ON quarry_datoms (a, vt, vi)",
        "CREATE INDEX IF NOT EXISTS quarry_datoms_avet_d ON quarry_datoms (a, vd)",
        "CREATE INDEX IF NOT EXISTS quarry_datoms_avet_s ON quarry_datoms (a, (left(vs, 256)))",
        "CREATE INDEX IF NOT EXISTS quarry_datoms_vaet ON quarry_datoms (vi, a)",
        """
        CREATE TABLE IF NOT EXISTS quarry_attributes (ident TEXT PRIMARY KEY, value_type TEXT, many BOOLEAN NOT NULL,
            uniq TEXT, indexed BOOLEAN NOT NULL, component BOOLEAN NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS quarry_figures (a TEXT PRIMARY KEY, datoms BIGINT NOT NULL, entities BIGINT NOT NULL,
            vals BIGINT NOT NULL)
        """,
        "CREATE TABLE IF NOT EXISTS quarry_meta (key TEXT PRIMARY KEY, value BIGINT NOT NULL)",
    ]

    /// Makes the tables and indexes that are missing.
    static func create(on conn: PostgresConnection, logger: Logger) async throws {
        for s in statements { try await conn.send(PostgresQuery(unsafeSQL: s), logger: logger) }
    }
}
#endif
