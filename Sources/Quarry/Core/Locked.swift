import Foundation

/// A value behind a pthread mutex (`NSLock`), shared across threads.
/// ThreadSanitizer sees the order the lock makes, which it cannot see for
/// `Synchronization.Mutex`, a bare futex on Linux (it reported races
/// between locked accesses).
final class Locked<State>: @unchecked Sendable {
    private let lock = NSLock()
    private var state: State

    init(_ state: State) {
        self.state = state
    }

    func withLock<R>(_ body: (inout State) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&state)
    }
}
