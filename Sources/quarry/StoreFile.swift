import Foundation
import Quarry

/// A database file named on the command line: EDN transaction data, held
/// in memory, or a SQLite database (recognised by its header).
enum StoreFile {
    case memory(Database)
    case sqlite(SQLiteSource)

    static func open(_ path: String) throws -> StoreFile {
        if try isSQLite(path) { return .sqlite(try SQLiteSource(path: path)) }
        let text = try InputFile.text(path)
        return .memory(try Database.load(edn: text))
    }

    /// Whether the file at `path` starts with SQLite's header.
    static func isSQLite(_ path: String) throws -> Bool {
        try InputFile.header(path, count: 16).starts(with: Data("SQLite format 3".utf8))
    }

    var source: any DatomSource {
        switch self {
        case .memory(let db): db
        case .sqlite(let s): s
        }
    }
}
