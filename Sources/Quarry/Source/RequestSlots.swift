/// At most so many requests to a source at once: the others wait their
/// turn, first come first served, and a waiter whose task is cancelled
/// leaves the queue. The materializer's flights and a ``LatencySource``'s
/// simulated connections both queue here.
final class RequestSlots: Sendable {
    private struct State {
        var free: Int
        var waiting: [(id: Int, turn: CheckedContinuation<Void, Error>)] = []
        var nextID = 0
        /// Requests that had to wait for a slot.
        var queued = 0
    }

    private let state: Locked<State>
    let limit: Int

    /// `limit` below 1 counts as 1: fewer could never send.
    init(limit: Int) {
        self.limit = max(1, limit)
        state = Locked(State(free: self.limit))
    }

    /// Requests that had to wait for a slot so far.
    var queued: Int { state.withLock { $0.queued } }

    /// Waits for a slot; the caller must ``release()`` it once its request
    /// is answered. Throws `CancellationError` (holding no slot) when the
    /// task is cancelled while it waits.
    func acquire() async throws {
        let id: Int? = state.withLock { s in
            if s.free > 0 {
                s.free -= 1
                return nil
            }
            s.nextID += 1
            s.queued += 1
            return s.nextID
        }
        guard let id else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (turn: CheckedContinuation<Void, Error>) in
                // Cancelled before it queued: the handler found nothing to resume.
                let cancelled = state.withLock { s in
                    if Task.isCancelled { return true }
                    s.waiting.append((id, turn))
                    return false
                }
                if cancelled { turn.resume(throwing: CancellationError()) }
            }
        } onCancel: {
            let turn = state.withLock { s -> CheckedContinuation<Void, Error>? in
                guard let k = s.waiting.firstIndex(where: { $0.id == id }) else { return nil }
                return s.waiting.remove(at: k).turn
            }
            turn?.resume(throwing: CancellationError())
        }
    }

    /// Hands the slot to the first waiter, or frees it.
    func release() {
        let next = state.withLock { s -> CheckedContinuation<Void, Error>? in
            if s.waiting.isEmpty {
                s.free += 1
                return nil
            }
            return s.waiting.removeFirst().turn
        }
        next?.resume()
    }
}
