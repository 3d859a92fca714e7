/// A read session held by a query and by the flights it starts: the query
/// may end (or be cancelled) while a flight it started still serves
/// others, so the session is closed by whichever lets go of it last.
final class ReadLease: Sendable {
    let session: any DatomReadSession
    private let holders = Locked(1)
    /// Told once, when the lease is let go of without having arrived
    /// (``arrive()``): the materializer that counted its query as coming.
    private let unarrived: (@Sendable () -> Void)?
    private let arrived = Locked(false)

    /// Held once, by the caller that opened `session`; `unarrived`: see
    /// ``arrive()``.
    init(_ session: any DatomReadSession, unarrived: (@Sendable () -> Void)? = nil) {
        self.session = session
        self.unarrived = unarrived
    }

    /// Whether a materializer counts the lease's query as coming.
    var counted: Bool { unarrived != nil }

    /// Whether this is the first phase of the lease's query (true once):
    /// a materializer counts a query whose session is open as coming until
    /// its first phase, or its end.
    func arrive() -> Bool {
        arrived.withLock { done in
            defer { done = true }
            return !done
        }
    }

    var snapshot: UInt64? { session.snapshot }

    /// One more holder.
    func hold() { holders.withLock { $0 += 1 } }

    /// Lets go of the lease; true for the last holder, who must close the
    /// session (``release()``, or ``DatomReadSession/close()`` in a task).
    func letGo() -> Bool {
        let last = holders.withLock { n in
            n -= 1
            return n == 0
        }
        if last, let unarrived, arrive() { unarrived() }
        return last
    }

    /// Lets go, closing the session if this was the last holder.
    func release() async {
        if letGo() { await session.close() }
    }
}
