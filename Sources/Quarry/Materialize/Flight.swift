/// One request in the air, its callers, and its answer once landed.
///
/// Registrations, the task and `stale` are touched only on the
/// materializer's actor. The answer is ``Awaited``: callers wait outside
/// the actor, so that a landing flight resumes them directly.
final class Flight: @unchecked Sendable {
    let id: Int
    let request: ScanRequest
    let strategy: ScanStrategy
    /// Each binding's index in the request.
    let keyIndex: [[Value]: Int]
    var task: Task<Void, Never>?
    var registered: Set<Int> = []
    /// The write generation of its attributes when it started: its answer
    /// is cached only if no write came since.
    let generation: UInt64
    /// The read session it is sent through, held until it lands: flights
    /// serve only callers reading the same snapshot.
    let lease: ReadLease
    /// A write touched its attributes after it left, or every caller left
    /// it: nobody new joins it, and its answer is not cached.
    var stale = false
    private var nextRegistration = 0

    /// A landed answer: the rows, and each binding's range of them.
    struct Landing: Sendable {
        let rows: ScanRows
        let ranges: [Int: Range<Int>]
    }

    private let answer = Awaited<Landing>()

    init(id: Int, request: ScanRequest, strategy: ScanStrategy, generation: UInt64, lease: ReadLease) {
        self.id = id
        self.lease = lease
        lease.hold()
        self.generation = generation
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

    var hasLanded: Bool { answer.hasLanded }

    /// The answer, once it lands. A cancelled caller stops waiting with
    /// `CancellationError`; the flight goes on for the others.
    func wait(_ registration: Int) async throws -> Landing { try await answer.wait(registration) }

    /// Stops a caller's wait with `CancellationError`, if it is waiting.
    func abandon(_ registration: Int) { answer.abandon(registration) }

    /// Sets the answer and resumes every caller waiting for it.
    func land(_ result: Result<Landing, Error>) { answer.land(result) }
}
