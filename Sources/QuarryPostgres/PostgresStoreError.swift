#if Postgres
import PostgresNIO

/// An error of a PostgreSQL store, in one line: the server's own message
/// (and its SQLSTATE) when the server sent one.
public struct PostgresStoreError: Error, CustomStringConvertible, Sendable {
    /// The error, in one line.
    public let message: String

    /// An error saying `message`.
    public init(_ message: String) { self.message = message }

    public var description: String { message }

    /// `error` in one line: a server error's message, detail and SQLSTATE;
    /// a connection failure as what failed.
    static func describe(_ error: any Error) -> String {
        if let e = error as? PSQLError {
            if let info = e.serverInfo, let message = info[.message] {
                let detail = info[.detail].map { " (\($0))" } ?? ""
                let state = info[.sqlState].map { " [SQLSTATE \($0)]" } ?? ""
                return "PostgreSQL: \(message)\(detail)\(state)"
            }
            if let underlying = e.underlying { return "PostgreSQL connection: \(e.code): \(underlying)" }
            return "PostgreSQL: \(e.code)"
        }
        if let e = error as? PostgresStoreError { return e.message }
        return "\(error)"
    }
}
#endif
