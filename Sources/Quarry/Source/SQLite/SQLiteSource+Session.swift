/// Read sessions: each is a connection of its own in one SQLite read
/// transaction. The store is in WAL mode, so the transaction's first read
/// fixes the snapshot every later scan of the session reads, while other
/// connections and processes go on writing.
extension SQLiteSource {
    /// Connections of closed sessions kept open for the next ones: opening
    /// one costs more than a point query.
    static let idleSessionConnectionsKept = 4

    public func openReadSession() async throws -> any DatomReadSession {
        let connection = try idleSessionConnections.popLast()
            ?? Self.sessionConnection(path: path, busyMilliseconds: busyMilliseconds)
        let snapshot: Int64
        do {
            snapshot = try fileErrors {
                try connection.execute("BEGIN")
                // The first read starts the snapshot; the next transaction id names it.
                return try meta("next_tx", on: connection)
            }
        } catch {
            try? connection.execute("ROLLBACK")
            throw error
        }
        nextSession += 1
        sessions[nextSession] = connection
        return SQLiteReadSession(source: self, id: nextSession, snapshot: UInt64(snapshot))
    }

    /// A read-only connection to the store, its marks checked again (the
    /// file at the path may have been replaced since the source opened it).
    private static func sessionConnection(path: String, busyMilliseconds: Int32) throws -> SQLiteConnection {
        let connection: SQLiteConnection
        do {
            connection = try SQLiteConnection(path: path, mode: .readOnly)
        } catch {
            throw StoreError("cannot be opened: \(error)", path: path)
        }
        connection.setBusyTimeout(milliseconds: busyMilliseconds)
        try? connection.execute("PRAGMA cache_size = -16384")
        try fileErrors(path) { try SQLiteStoreFile.checkMarks(connection, path: path) }
        return connection
    }

    /// A scan of session `id`.
    func scan(_ request: ScanRequest, account: MemoryAccount?, session id: Int) async throws -> ScanRows {
        guard let connection = sessions[id] else { throw ScanError("the read session of \(name) is closed") }
        return try await scan(request, account: account, on: connection)
    }

    /// Ends session `id`'s read transaction; its connection is kept for
    /// the next session, up to a few.
    func closeSession(_ id: Int) {
        guard let connection = sessions.removeValue(forKey: id) else { return }
        do {
            try connection.execute("COMMIT")
        } catch {
            // A connection whose transaction would not end is not reused.
            return
        }
        if idleSessionConnections.count < Self.idleSessionConnectionsKept { idleSessionConnections.append(connection) }
    }

    /// Read sessions open now (for tests).
    @_spi(Testing) public var openSessions: Int { sessions.count }
}

/// A read session of a ``SQLiteSource``: its scans run on the source's
/// thread, through the session's own connection.
struct SQLiteReadSession: DatomReadSession {
    let source: SQLiteSource
    let id: Int
    let snapshot: UInt64?

    func scan(_ request: ScanRequest, account: MemoryAccount?) async throws -> ScanRows {
        try await source.scan(request, account: account, session: id)
    }

    func close() async { await source.closeSession(id) }
}
