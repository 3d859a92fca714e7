/// A read session held by a query and by the flights it starts: the query
/// may end (or be cancelled) while a flight it started still serves
/// others, so the session is closed by whichever lets go of it last.
final class ReadLease: Sendable {
    let session: any DatomReadSession
    private let holders = Locked(1)

    /// Held once, by the caller that opened `session`.
    init(_ session: any DatomReadSession) {
        self.session = session
    }

    var snapshot: UInt64? { session.snapshot }

    /// One more holder.
    func hold() { holders.withLock { $0 += 1 } }

    /// Lets go of the lease; true for the last holder, who must close the
    /// session (``release()``, or ``DatomReadSession/close()`` in a task).
    func letGo() -> Bool {
        holders.withLock { n in
            n -= 1
            return n == 0
        }
    }

    /// Lets go, closing the session if this was the last holder.
    func release() async {
        if letGo() { await session.close() }
    }
}
