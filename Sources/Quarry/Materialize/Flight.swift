import Foundation

/// One request in the air, its callers, and its answer once landed.
///
/// Registrations, the task and `stale` are touched only on the
/// materializer's actor. The answer and the callers waiting for it are
/// under a lock: callers wait outside the actor, so that a landing flight
/// resumes them directly.
final class Flight: @unchecked Sendable {
    let id: Int
    let request: ScanRequest
    let strategy: ScanStrategy
    /// Each binding's index in the request.
    let keyIndex: [[Value]: Int]
    var task: Task<Void, Never>?
    var registered: Set<Int> = []
    /// A write touched its attributes after it left: nobody new joins it.
    var stale = false
    private var nextRegistration = 0

    /// A landed answer: the rows, and each binding's range of them.
    struct Landing: Sendable {
        let rows: ScanRows
        let ranges: [Int: Range<Int>]
    }

    private let lock = NSLock()
    private var landed: Result<Landing, Error>?
    private var waiting: [Int: CheckedContinuation<Landing, Error>] = [:]

    init(id: Int, request: ScanRequest, strategy: ScanStrategy) {
        self.id = id
        self.request = request
        self.strategy = strategy
        keyIndex = Dictionary(request.bindings.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// Whether the answer serves any binding (a request without keys).
    var wholeAnswer: Bool { request.shape.parameters.isEmpty }

    func register() -> Int {
        nextRegistration += 1
        registered.insert(nextRegistration)
        return nextRegistration
    }

    var hasLanded: Bool { lock.withLock { landed != nil } }

    /// The answer, once it lands. A cancelled caller stops waiting with
    /// `CancellationError`; the flight goes on for the others.
    func wait(_ registration: Int) async throws -> Landing {
        if let now = lock.withLock({ landed }) { return try now.get() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Landing, Error>) in
                let now: Result<Landing, Error>? = lock.withLock {
                    if let landed { return landed }
                    // Checked under the lock: a cancellation either came
                    // before (seen here) or finds the continuation to resume.
                    if Task.isCancelled { return .failure(CancellationError()) }
                    waiting[registration] = c
                    return nil
                }
                if let now { c.resume(with: now) }
            }
        } onCancel: {
            abandon(registration)
        }
    }

    /// Stops a caller's wait with `CancellationError`, if it is waiting.
    func abandon(_ registration: Int) {
        let c = lock.withLock { waiting.removeValue(forKey: registration) }
        c?.resume(throwing: CancellationError())
    }

    /// Sets the answer and resumes every caller waiting for it.
    func land(_ result: Result<Landing, Error>) {
        let callers = lock.withLock {
            landed = result
            defer { waiting.removeAll() }
            return waiting
        }
        for (_, c) in callers { c.resume(with: result) }
    }
}
