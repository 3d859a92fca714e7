#if Postgres
import Logging
import PostgresNIO

extension PostgresConnection {
    /// Runs `query`, unless the server has closed the connection: every
    /// statement Quarry sends goes through here. postgres-nio never answers
    /// a statement written to a closed connection, so a connection held
    /// across awaits (a read session's, a write's transaction, the standby
    /// reader) that the server ended (an administrator, a failover, an
    /// idle timeout) would otherwise make its next statement wait for ever.
    @discardableResult
    func send(_ query: PostgresQuery, logger: Logger) async throws -> PostgresRowSequence {
        if isClosed { throw PostgresStoreError(PostgresStoreError.closedConnection) }
        return try await self.query(query, logger: logger)
    }
}
#endif
