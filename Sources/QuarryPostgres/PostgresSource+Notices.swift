#if Postgres
import Logging
import Synchronization
import PostgresNIO
import Quarry

/// Writes announced through `LISTEN`/`NOTIFY`: every write through
/// ``PostgresSource/transact(_:)`` sends, as it commits, the store's new
/// version and the attributes it touched on the channel
/// `quarry_writes`, and ``writeNotices()`` hears every client's.
extension PostgresSource: WriteAnnouncingSource {
    /// The channel writes are announced on.
    static let noticeChannel = "quarry_writes"

    /// A notice's payload: the version, then the attributes, space
    /// separated; `*` for every attribute when they would not fit
    /// PostgreSQL's 8,000 bytes.
    static func payload(snapshot: Int64, attributes: Set<Keyword>) -> String {
        let listed = "\(snapshot) " + attributes.map(\.text).sorted().joined(separator: " ")
        return listed.utf8.count < 7_900 ? listed : "\(snapshot) *"
    }

    /// The notice a payload carries, or nil for one Quarry did not write.
    static func notice(_ payload: String) -> SourceWriteNotice? {
        let parts = payload.split(separator: " ")
        guard let first = parts.first, let snapshot = UInt64(first) else { return nil }
        if parts.count == 2, parts[1] == "*" { return SourceWriteNotice(snapshot: snapshot, attributes: []) }
        let attributes = Set(parts.dropFirst().map { Keyword(String($0)) })
        guard !attributes.isEmpty else { return nil }
        return SourceWriteNotice(snapshot: snapshot, attributes: attributes)
    }

    /// Every write announced on the store from now on, by any client, over
    /// a connection of its own. The stream ends when the connection is
    /// lost or the source is closed; the consumer stopping closes it.
    public func writeNotices() -> AsyncStream<SourceWriteNotice> {
        let (stream, continuation) = AsyncStream<SourceWriteNotice>.makeStream()
        let url = self.url, logger = self.logger
        let task = Task {
            defer { continuation.finish() }
            guard let configuration = try? url.connectionConfiguration(),
                  let conn = try? await PostgresConnection.connect(configuration: configuration, id: 2, logger: logger)
            else { return }
            // The LISTEN runs to its answer even when the stream ends
            // first (its materializer gone at once): the server then ran
            // it and will run UNLISTEN, and each is counted, so that the
            // source's count stays the server's. Its task is told to stop
            // only once the LISTEN is taken; it is counted then.
            let state = ListenerState()
            let listening = Task {
                // Ending the notifications (an AsyncThrowingStream) by
                // cancelling this task leaves `listen`.
                _ = try? await conn.listen(on: Self.noticeChannel) { notifications in
                    self.counted()
                    let stopping = state.flags.withLock { s in
                        s.listened = true
                        return s.stopping
                    }
                    self.listenerStarted()
                    guard !stopping else { return }
                    for try await n in notifications {
                        if let notice = Self.notice(n.payload) { continuation.yield(notice) }
                    }
                }
            }
            await withTaskCancellationHandler {
                await listening.value
            } onCancel: {
                let listened = state.flags.withLock { s in
                    s.stopping = true
                    return s.listened
                }
                if listened {
                    listening.cancel()
                } else {
                    // A server that does not answer the LISTEN in 5 s has its connection closed, which ends it.
                    Task {
                        try? await Task.sleep(for: .seconds(5))
                        if !state.flags.withLock({ $0.listened }) { try? await conn.close() }
                    }
                }
            }
            let listened = state.flags.withLock { $0.listened }
            // Leaving `listen` queues UNLISTEN without waiting for it; a
            // statement after it returns once the server has run it, so the
            // connection is not closed under it and the count is the
            // server's (a lost connection ran neither). It runs in a task of
            // its own: this one is cancelled, which would stop the wait. A
            // server that does not answer in 5 s has its connection closed.
            let closer = Task {
                guard (try? await Task.sleep(for: .seconds(5))) != nil else { return }
                try? await conn.close()
            }
            let synced = await Task { (try? await conn.send("SELECT 1", logger: logger).collect()) != nil }.value
            closer.cancel()
            if synced {
                if listened { self.counted() }
                self.counted()
            }
            try? await conn.close()
        }
        continuation.onTermination = { _ in task.cancel() }
        listeners.withLock { $0.append(task) }
        return stream
    }

    private func listenerStarted() {
        let ready = listening.withLock { state in
            state.count += 1
            let n = state.count
            defer { state.waiting.removeAll { $0.0 <= n } }
            return state.waiting.filter { $0.0 <= n }.map(\.1)
        }
        for c in ready { c.resume() }
    }

    /// Returns once `count` listeners have had their `LISTEN` taken (tests).
    func waitForListeners(_ count: Int) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = listening.withLock { state in
                if state.count >= count { return true }
                state.waiting.append((count, c))
                return false
            }
            if now { c.resume() }
        }
    }
}
/// Whether a listener's LISTEN was taken, and whether its stream ended.
private final class ListenerState: Sendable {
    let flags = Mutex((listened: false, stopping: false))
}
#endif
