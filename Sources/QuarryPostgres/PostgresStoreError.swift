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

    /// Whether `error` says the connection was lost, not that the
    /// statement failed: the server ended the connection (an
    /// administrator, a shutdown, a crash: SQLSTATE class 57P) or it
    /// closed under the client. A pooled connection the server ended
    /// fails its next statement so, until the pool notices.
    static func lostConnection(_ error: any Error) -> Bool {
        if let e = error as? PostgresStoreError { return e.message == closedConnection }
        guard let e = error as? PSQLError else { return false }
        if e.code == .serverClosedConnection || e.code == .uncleanShutdown || e.code == .connectionError { return true }
        return e.code == .server && (e.serverInfo?[.sqlState]?.hasPrefix("57P") ?? false)
    }

    /// What ``PostgresConnection/send(_:logger:)`` says of a closed connection.
    static let closedConnection = "the server closed the connection"

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
