import Foundation

/// An answer callers wait for outside the materializer's actor, so that
/// its landing resumes them directly: set once, it resumes every caller
/// waiting; a caller that is cancelled stops waiting at once with
/// `CancellationError`, and the answer still comes for the others.
/// Callers are told apart by a number their owner hands out.
final class Awaited<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var landed: Result<T, Error>?
    private var waiting: [Int: CheckedContinuation<T, Error>] = [:]

    var hasLanded: Bool { lock.withLock { landed != nil } }

    /// The answer, once it lands, for caller `id`.
    func wait(_ id: Int) async throws -> T {
        if let now = lock.withLock({ landed }) { return try now.get() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, Error>) in
                let now: Result<T, Error>? = lock.withLock {
                    if let landed { return landed }
                    // Checked under the lock: a cancellation either came
                    // before (seen here) or finds the continuation to resume.
                    if Task.isCancelled { return .failure(CancellationError()) }
                    waiting[id] = c
                    return nil
                }
                if let now { c.resume(with: now) }
            }
        } onCancel: {
            abandon(id)
        }
    }

    /// Stops caller `id`'s wait with `CancellationError`, if it is waiting.
    func abandon(_ id: Int) {
        let c = lock.withLock { waiting.removeValue(forKey: id) }
        c?.resume(throwing: CancellationError())
    }

    /// Sets the answer and resumes every caller waiting for it.
    func land(_ result: Result<T, Error>) {
        let callers = lock.withLock {
            landed = result
            defer { waiting.removeAll() }
            return waiting
        }
        for (_, c) in callers { c.resume(with: result) }
    }
}
