#if Postgres
import Foundation
import PostgresNIO
import Quarry

extension PostgresSource {
    /// A session reading one snapshot: a connection held for the query, in
    /// a `REPEATABLE READ, READ ONLY` transaction whose first statement
    /// reads the store's description and its next transaction id, which
    /// names the snapshot. It ends with the transaction when closed.
    /// Opening it takes one round trip on the source's standby connection
    /// (``PostgresStandbyReader``), kept begun between sessions, and two
    /// (`BEGIN`, then that statement) on a pooled connection.
    public func openReadSession() async throws -> any DatomReadSession {
        try await PostgresReadSession.open(self)
    }
}

/// A read session of a ``PostgresSource``: a task holds a pooled
/// connection in one transaction and runs the session's scans on it, one
/// at a time, in the order they come.
final class PostgresReadSession: DatomReadSession, @unchecked Sendable {
    let snapshot: UInt64?
    let sourceDescription: SourceDescription?
    private let source: PostgresSource
    /// The server process of the session's connection: a cancelled scan
    /// is stopped with `pg_cancel_backend` from another connection.
    private let backend: Int32
    private let jobs: AsyncStream<Job>.Continuation
    private let lock = NSLock()
    private var running: Int?
    private var cancelled: Set<Int> = []
    private var nextJob = 0
    /// Set once a scan failed in the transaction (a cancel aborts it).
    private var broken: String?

    struct Job: Sendable {
        let id: Int
        let request: ScanRequest
        let account: MemoryAccount?
        let answer: CheckedContinuation<ScanRows, any Error>
    }

    private init(source: PostgresSource, opening: Opening, jobs: AsyncStream<Job>.Continuation) {
        self.source = source
        snapshot = opening.snapshot
        sourceDescription = opening.description
        backend = opening.backend
        self.jobs = jobs
    }

    /// A session on the source's standby connection when one waits (one
    /// statement to open), else on a pooled connection (two).
    static func open(_ source: PostgresSource) async throws -> PostgresReadSession {
        if let standby = source.standby.borrow() {
            // A server that ended the waiting transaction (an idle timeout) fails its first statement: a pooled one then.
            if let session = try? await open(source, standby: standby) { return session }
        }
        // A pooled connection the server ended fails at once, until the pool
        // notices: another one, as many times as the pool holds connections.
        var attempts = 0
        while true {
            do {
                return try await open(source, standby: nil)
            } catch is CancellationError {
                throw CancellationError()
            } catch where PostgresStoreError.lostConnection(error) && attempts < source.maxConnections {
                attempts += 1
            } catch {
                throw PostgresStoreError(PostgresStoreError.describe(error))
            }
        }
    }

    private static func open(_ source: PostgresSource, standby: PostgresConnection?) async throws -> PostgresReadSession {
        let (stream, jobs) = AsyncStream<Job>.makeStream()
        let started = Started()
        let opened: Opening = try await withCheckedThrowingContinuation { begun in
            started.set(begun)
            // The worker runs the scans, and ends the transaction once the session is closed.
            Task {
                do {
                    if let standby {
                        if try await serve(on: standby, begun: true, source: source, stream: stream, started: started) {
                            await source.standby.giveBack(standby, source: source)
                        } else {
                            await source.standby.discard(standby)
                        }
                    } else {
                        try await source.withConnection { conn in
                            _ = try await serve(on: conn, begun: false, source: source, stream: stream, started: started)
                        }
                        if source.keepsStandby { source.standby.prepare(for: source) }
                    }
                } catch {
                    started.resume(.failure(error))
                    if let standby { await source.standby.discard(standby) }
                }
                // Scans sent after the connection was lost.
                for await job in stream { job.answer.resume(throwing: PostgresStoreError("the read session has ended")) }
            }
        }
        let session = PostgresReadSession(source: source, opening: opened, jobs: jobs)
        started.session = session
        return session
    }

    /// Begins the transaction (unless `begun`), reads the description and
    /// the snapshot in the transaction's first statement, runs the
    /// session's scans until it is closed, and ends the transaction:
    /// whether it ended (the connection can serve again).
    private static func serve(on conn: PostgresConnection, begun: Bool, source: PostgresSource, stream: AsyncStream<Job>,
                              started: Started) async throws -> Bool {
        let description: SourceDescription, opened: (backend: Int32, nextTx: Int64)?
        do {
            if !begun {
                source.counted()
                try await conn.send(PostgresStandbyReader.begin, logger: source.logger)
            }
            // The transaction's first read fixes its snapshot: the description is of it.
            (description, opened) = try await source.describe(on: conn, opening: true)
        } catch {
            // As it came, for the opener to tell a lost connection from a failed statement.
            started.resume(.failure(error))
            throw error
        }
        guard let opened else { throw PostgresStoreError("the store's next transaction id could not be read") }
        started.resume(.success(Opening(snapshot: UInt64(opened.nextTx), backend: opened.backend, description: description)))
        for await job in stream { await PostgresReadSession.run(job, on: conn, session: started.session) }
        source.counted()
        return (try? await conn.send("ROLLBACK", logger: source.logger)) != nil
    }

    /// Runs one scan on the session's connection, unless it was cancelled
    /// while it waited or the transaction has failed.
    private static func run(_ job: Job, on conn: PostgresConnection, session: PostgresReadSession?) async {
        guard let session else {
            job.answer.resume(throwing: PostgresStoreError("the read session was not opened"))
            return
        }
        if let failure = session.start(job.id) {
            job.answer.resume(throwing: failure)
            return
        }
        do {
            let rows = try await session.source.scan(job.request, account: job.account, on: conn)
            session.finish(job.id, failed: nil)
            job.answer.resume(returning: rows)
        } catch {
            let wasCancelled = session.finish(job.id, failed: PostgresStoreError.describe(error))
            job.answer.resume(throwing: wasCancelled ? CancellationError() : error)
        }
    }

    /// Marks `id` running; the error to answer with instead, if any.
    private func start(_ id: Int) -> (any Error)? {
        lock.lock()
        defer { lock.unlock() }
        if cancelled.remove(id) != nil { return CancellationError() }
        if let broken { return PostgresStoreError("the read session failed earlier: \(broken)") }
        running = id
        return nil
    }

    /// Marks `id` done; whether it had been cancelled.
    @discardableResult
    private func finish(_ id: Int, failed: String?) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        running = nil
        let wasCancelled = cancelled.remove(id) != nil
        // Any error aborts the transaction: later scans cannot run in it.
        if let failed, broken == nil { broken = wasCancelled ? "a scan was cancelled" : failed }
        return wasCancelled
    }

    func scan(_ request: ScanRequest, account: MemoryAccount?) async throws -> ScanRows {
        try Task.checkCancellation()
        let id: Int = lock.withLock {
            nextJob += 1
            return nextJob
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { answer in
                if case .terminated = jobs.yield(Job(id: id, request: request, account: account, answer: answer)) {
                    answer.resume(throwing: PostgresStoreError("the read session is closed"))
                }
            }
        } onCancel: {
            self.cancel(id)
        }
    }

    /// Cancels scan `id`: skipped if it has not started, stopped in the
    /// server if it runs.
    private func cancel(_ id: Int) {
        let runs: Bool = lock.withLock {
            cancelled.insert(id)
            return running == id
        }
        guard runs else { return }
        let source = self.source, backend = self.backend
        Task {
            source.counted()
            _ = try? await source.withConnection { conn in
                try await conn.send("SELECT pg_cancel_backend(\(backend))", logger: source.logger)
            }
        }
    }

    /// Ends the session without waiting for the server: the worker ends
    /// the transaction and hands the connection back to the pool on its
    /// own, so a query does not pay a round trip for it.
    func close() async {
        jobs.finish()
    }
}

/// What a session's first statement read.
private struct Opening: Sendable {
    let snapshot: UInt64
    /// The server process of the session's connection.
    let backend: Int32
    let description: SourceDescription
}

/// The opening handshake between ``PostgresReadSession/open(_:)`` and its worker.
private final class Started: @unchecked Sendable {
    private let lock = NSLock()
    private var begun: CheckedContinuation<Opening, any Error>?
    private var _session: PostgresReadSession?

    func set(_ c: CheckedContinuation<Opening, any Error>) { lock.withLock { begun = c } }

    func resume(_ r: Result<Opening, any Error>) {
        let c: CheckedContinuation<Opening, any Error>? = lock.withLock {
            defer { begun = nil }
            return begun
        }
        c?.resume(with: r)
    }

    var session: PostgresReadSession? {
        get { lock.withLock { _session } }
        set { lock.withLock { _session = newValue } }
    }
}
#endif
