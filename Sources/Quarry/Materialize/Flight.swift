/// One request in the air, its callers, and its answer once landed.
///
/// Registrations, the task, `stale` and a boarding flight's request are
/// touched only on the materializer's actor; the request is read by the
/// task that sends it, which starts after the flight stops boarding. The
/// answer is ``Awaited``: callers wait outside the actor, so that a
/// landing flight resumes them directly.
final class Flight: @unchecked Sendable {
    let id: Int
    /// What it asks; it grows while the flight boards (``absorb(_:)``).
    private(set) var request: ScanRequest
    let strategy: ScanStrategy
    /// Each binding's index in the request.
    private(set) var keyIndex: [[Value]: Int]
    var task: Task<Void, Never>?
    var registered: Set<Int> = []
    /// The write generation of its attributes when it started: its answer
    /// is cached only if no write came since.
    private(set) var generation: UInt64
    /// Waiting for the request in the air to land before it leaves, so
    /// that scans of other callers can still board it (see
    /// ``BatchCoordinator``).
    var boarding: Bool
    /// The estimated bytes of its answer, and the least memory any of its
    /// callers had left (nil: no budget): a merge must fit both.
    private(set) var estimatedBytes: Double
    private(set) var headroomBytes: Int?
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

    init(id: Int, request: ScanRequest, strategy: ScanStrategy, generation: UInt64, lease: ReadLease,
         boarding: Bool = false, estimatedBytes: Double = 0, headroomBytes: Int? = nil) {
        self.id = id
        self.lease = lease
        lease.hold()
        self.generation = generation
        self.request = request
        self.strategy = strategy
        self.boarding = boarding
        self.estimatedBytes = estimatedBytes
        self.headroomBytes = headroomBytes
        keyIndex = Dictionary(request.bindings.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// Takes another caller's request aboard: the shapes merged, the
    /// bindings not yet aboard appended. `generation` is the write
    /// generation of the merged attributes now, `headroomBytes` that
    /// caller's. Only while boarding, with a shape that merges.
    func absorb(_ other: ScanRequest, shape: ScanShape, generation: UInt64, estimatedBytes: Double,
                headroomBytes: Int?) {
        precondition(boarding, "a flight in the air cannot change its request")
        var bindings = request.bindings
        for b in other.bindings where keyIndex[b] == nil {
            keyIndex[b] = bindings.count
            bindings.append(b)
        }
        request = ScanRequest(shape: shape, bindings: bindings)
        // The older stamp: an answer is cached only if no write came since either part boarded.
        self.generation = min(self.generation, generation)
        self.estimatedBytes += estimatedBytes
        if let h = headroomBytes { self.headroomBytes = min(self.headroomBytes ?? h, h) }
    }

    /// Bindings of `other` not aboard yet.
    func newBindings(of other: ScanRequest) -> Int { other.bindings.reduce(0) { $0 + (keyIndex[$1] == nil ? 1 : 0) } }

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
