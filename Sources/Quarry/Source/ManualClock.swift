/// A clock that moves only when told to: tests inject it where a real
/// source would wait on the network, so that a test of latency or of
/// concurrency is deterministic and never sleeps.
public final class ManualClock: Clock, Sendable {
    public struct Instant: InstantProtocol, Sendable {
        /// Time since the clock's start.
        public var offset: Duration
        public func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        public func duration(to other: Instant) -> Duration { other.offset - offset }
        public static func < (a: Instant, b: Instant) -> Bool { a.offset < b.offset }
    }

    private struct Sleeper {
        let id: Int
        let deadline: Instant
        let continuation: CheckedContinuation<Void, Error>
    }

    private struct State {
        var now = Instant(offset: .zero)
        var nextID = 0
        var sleepers: [Sleeper] = []
        /// Waiters for a number of sleepers, resumed when it is reached.
        var watchers: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state = Locked(State())

    /// A clock at its start, moving only when advanced.
    public init() {}

    public var now: Instant { state.withLock { $0.now } }
    public var minimumResolution: Duration { .zero }

    /// Sleepers waiting now.
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    public func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        let id = state.withLock { s in
            s.nextID += 1
            return s.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, Error>) in
                let ready: [CheckedContinuation<Void, Never>]? = state.withLock { s in
                    if deadline <= s.now || Task.isCancelled { return nil }
                    s.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: c))
                    let n = s.sleepers.count
                    let fired = s.watchers.filter { $0.count <= n }.map(\.continuation)
                    s.watchers.removeAll { $0.count <= n }
                    return fired
                }
                guard let ready else {
                    if Task.isCancelled { c.resume(throwing: CancellationError()) } else { c.resume() }
                    return
                }
                for w in ready { w.resume() }
            }
        } onCancel: {
            let sleeper = state.withLock { s -> Sleeper? in
                guard let i = s.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return s.sleepers.remove(at: i)
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward, waking every sleeper whose deadline passed, in
    /// deadline order.
    public func advance(by duration: Duration) {
        let due = state.withLock { s -> [Sleeper] in
            s.now = s.now.advanced(by: duration)
            let now = s.now
            let due = s.sleepers.filter { $0.deadline <= now }.sorted { $0.deadline < $1.deadline }
            s.sleepers.removeAll { $0.deadline <= now }
            return due
        }
        for s in due { s.continuation.resume() }
    }

    /// Returns once at least `count` sleepers wait: a test's way to know
    /// that concurrent work has reached the clock, without polling.
    public func waitForSleepers(_ count: Int) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                if s.sleepers.count >= count { return true }
                s.watchers.append((count, c))
                return false
            }
            if now { c.resume() }
        }
    }
}
