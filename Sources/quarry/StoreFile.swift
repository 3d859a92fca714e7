import Foundation
import Quarry

/// A database file named on the command line: EDN transaction data, held
/// in memory, or a SQLite database (recognised by its header).
enum StoreFile {
    case memory(Database)
    case sqlite(SQLiteSource)

    static func open(_ path: String) throws -> StoreFile {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw QueryError("cannot read \(path)") }
        let header = handle.readData(ofLength: 16)
        try? handle.close()
        if header.starts(with: Data("SQLite format 3".utf8)) { return .sqlite(try SQLiteSource(path: path)) }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw QueryError("cannot read \(path): \(error.localizedDescription)")
        }
        return .memory(try Database.load(edn: text))
    }

    var source: any DatomSource {
        switch self {
        case .memory(let db): db
        case .sqlite(let s): s
        }
    }
}
