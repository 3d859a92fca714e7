#if Postgres
import Logging
import PostgresNIO
import Synchronization

/// A connection of a ``PostgresSource``'s own, outside its pool, kept in a
/// begun `REPEATABLE READ, READ ONLY` transaction for the next read
/// session: a session that finds it waiting sends one statement before
/// its first scan (the description with the snapshot), not two, which
/// saves a query one round trip of three.
///
/// The waiting transaction has read nothing, so it holds no snapshot
/// (the server's vacuum goes on) and no lock. One session at a time uses
/// it; sessions meanwhile take pooled connections. It is made in the
/// background after a session on a pooled connection ends (a process that
/// queried once will likely query again), made again after it fails (a
/// server that ends idle transactions), and not tried again for
/// ``retryPause`` after it could not be made.
final class PostgresStandbyReader: Sendable {
    private enum State {
        case absent(retryAfter: ContinuousClock.Instant?)
        case making
        case waiting(PostgresConnection)
        case lent
        case closed
    }

    private let state = Mutex<State>(.absent(retryAfter: nil))
    /// Callers of ``untilWaiting()``, told when the connection waits or cannot.
    private let watchers = Mutex<[CheckedContinuation<Bool, Never>]>([])
    static let retryPause = Duration.seconds(10)
    static let begin: PostgresQuery = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"

    /// The waiting connection, lent to the caller until it is given back
    /// (``giveBack(_:source:)``) or discarded; nil when none waits, or
    /// the server closed it (ended its idle transaction).
    func borrow() -> PostgresConnection? {
        let (lent, closed): (PostgresConnection?, PostgresConnection?) = state.withLock { s in
            guard case .waiting(let conn) = s else { return (nil, nil) }
            if conn.isClosed {
                s = .absent(retryAfter: nil)
                return (nil, conn)
            }
            s = .lent
            return (conn, nil)
        }
        if let closed { closed.close().whenComplete { _ in withExtendedLifetime(closed) {} } }
        return lent
    }

    /// The lent connection, its session's transaction ended: it begins
    /// the next and waits for the next session; closed if that fails or
    /// the source was closed meanwhile.
    func giveBack(_ conn: PostgresConnection, source: PostgresSource) async {
        do {
            source.counted()
            try await conn.send(Self.begin, logger: source.logger)
        } catch {
            await discard(conn)
            return
        }
        await park(conn) { if case .lent = $0 { true } else { false } }
    }

    /// `conn`, begun, waits for the next session if the state is still
    /// what `still` accepts (not closed meanwhile); closed otherwise.
    private func park(_ conn: PostgresConnection, _ still: (State) -> Bool) async {
        let kept = state.withLock { s in
            guard still(s) else { return false }
            s = .waiting(conn)
            return true
        }
        if !kept { try? await conn.close() }
        tell(kept)
    }

    /// The lent connection failed: closed, and made again later.
    func discard(_ conn: PostgresConnection) async {
        state.withLock { s in if case .lent = s { s = .absent(retryAfter: nil) } }
        try? await conn.close()
        tell(false)
    }

    /// Makes the connection in the background, unless one is there, being
    /// made, or could not be made a moment ago.
    func prepare(for source: PostgresSource) {
        let go = state.withLock { s in
            guard case .absent(let after) = s, after.map({ ContinuousClock.now >= $0 }) ?? true else { return false }
            s = .making
            return true
        }
        guard go else { return }
        Task {
            var quiet = Logger(label: "quarry.postgres.standby")
            quiet.logLevel = .critical
            do {
                let conn = try await PostgresConnection.connect(configuration: try source.url.connectionConfiguration(),
                                                                id: 0, logger: quiet)
                do {
                    source.counted()
                    try await conn.send(Self.begin, logger: source.logger)
                } catch {
                    try? await conn.close()
                    throw error
                }
                await park(conn) { if case .making = $0 { true } else { false } }
            } catch {
                state.withLock { s in if case .making = s { s = .absent(retryAfter: .now + Self.retryPause) } }
                tell(false)
            }
        }
    }

    /// A source dropped without ``PostgresSource/close()``: the waiting
    /// connection is closed, kept alive until it is (postgres-nio stops a
    /// debug build whose connection goes unclosed).
    deinit {
        guard case .waiting(let conn) = state.withLock({ $0 }) else { return }
        conn.close().whenComplete { _ in withExtendedLifetime(conn) {} }
    }

    /// Closes the waiting connection; a lent one is closed when given back.
    func close() async {
        let waiting: PostgresConnection? = state.withLock { s in
            defer { s = .closed }
            if case .waiting(let conn) = s { return conn }
            return nil
        }
        try? await waiting?.close()
        tell(false)
    }

    /// Whether no connection is there or being made.
    var isAbsent: Bool {
        state.withLock { s in
            if case .absent = s { return true }
            return false
        }
    }

    /// Waits until the connection is made or given back and waits for a
    /// session (true), or failed to (false); at once when it waits.
    func untilWaiting() async -> Bool {
        await withCheckedContinuation { c in
            let now: Bool? = state.withLock { s in
                if case .waiting = s { return true }
                if case .closed = s { return false }
                watchers.withLock { $0.append(c) }
                return nil
            }
            if let now { c.resume(returning: now) }
        }
    }

    private func tell(_ waiting: Bool) {
        for c in watchers.withLock({ w in defer { w = [] }; return w }) { c.resume(returning: waiting) }
    }
}
#endif
