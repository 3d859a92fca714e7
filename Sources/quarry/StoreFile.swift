import Foundation
import Quarry
#if Postgres
import QuarryPostgres
#endif

/// A database named on the command line: a file of EDN transaction data,
/// held in memory; a SQLite database (recognised by its header); or a
/// PostgreSQL store, by its `postgres://` URL.
enum StoreFile {
    case memory(Database)
    case sqlite(SQLiteSource)
    #if Postgres
    case postgres(PostgresSource)
    #endif

    /// The environment variable that names the database when `--db` does not.
    static let urlVariable = "QUARRY_DATABASE_URL"

    /// `--db`, or else ``urlVariable``; an error naming both when neither is there.
    static func name(_ db: String?) throws -> String {
        if let db { return db }
        if let url = ProcessInfo.processInfo.environment[urlVariable], !url.isEmpty { return url }
        throw QueryError("no database: give --db FILE or --db postgres://USER@HOST:PORT/DB, or set \(urlVariable)")
    }

    static func open(_ name: String) async throws -> StoreFile {
        if isPostgresURL(name) {
            #if Postgres
            // One query and out: no standby connection for a next one.
            return .postgres(try await PostgresSource.open(try PostgresURL(name), keepsStandby: false))
            #else
            throw QueryError("this quarry was built without PostgreSQL (the Postgres trait)")
            #endif
        }
        if try isSQLite(name) { return .sqlite(try SQLiteSource(path: name)) }
        let text = try InputFile.text(name)
        return .memory(try Database.load(edn: text))
    }

    /// Whether `name` is a PostgreSQL URL rather than a path.
    static func isPostgresURL(_ name: String) -> Bool {
        name.hasPrefix("postgres://") || name.hasPrefix("postgresql://")
    }

    /// Whether the file at `path` starts with SQLite's header.
    static func isSQLite(_ path: String) throws -> Bool {
        try InputFile.header(path, count: 16).starts(with: Data("SQLite format 3".utf8))
    }

    var source: any DatomSource {
        switch self {
        case .memory(let db): db
        case .sqlite(let s): s
        #if Postgres
        case .postgres(let s): s
        #endif
        }
    }

    /// The whole store as one database value (for pull): read from a file;
    /// a PostgreSQL store is not read whole.
    func database() async throws -> Database {
        switch self {
        case .memory(let db): return db
        case .sqlite(let s): return try await s.database()
        #if Postgres
        case .postgres(let s): throw QueryError("\(s.url) is not read whole: pull works on EDN and SQLite files")
        #endif
        }
    }

    /// Lets go of the store's connections.
    func close() async {
        #if Postgres
        if case .postgres(let s) = self { await s.close() }
        #endif
    }
}
