/// Merges scans of independent callers into shared requests.
///
/// A caller whose keys no flight holds starts a request. When nothing is
/// in the air or boarding and no other caller is coming (a query that has
/// opened its read session and not yet sent its first phase), it leaves
/// at once: a lone scan never waits. Coming callers are waited for: the
/// boarding round leaves when the last of them has boarded, or at the
/// window's end (sessions opened together are ready a round trip or two
/// apart: one on a connection kept begun, others on new ones).
/// Otherwise it *boards*: it waits for a request in the air to land and
/// leaves with every scan that boarded meanwhile, merged into as few
/// requests as their shapes allow, or after ``window`` at the latest (a
/// request in the air may be a long scan). Memory pressure splits instead
/// of merging: a request whose merged answer would pass a quarter of the
/// memory a caller has left (the bound ``ScanStrategy`` chunks at) boards
/// apart, and chunked or streamed requests never board.
///
/// State of the materializer's actor; it starts and lands the flights.
struct BatchCoordinator {
    /// Flights waiting to leave, oldest first.
    private(set) var boarding: [Flight] = []
    /// Requests sent and not landed.
    private(set) var airborne = 0
    /// Boarding rounds so far: a deadline departs only its own round.
    private(set) var round = 0
    /// The recent round trips, to find the bare one (the fastest).
    private var recent: [Duration] = []
    private var nextSample = 0
    /// The window before any round trip was measured.
    let assumedRoundTrip: Duration

    init(assumedRoundTrip: Duration) {
        self.assumedRoundTrip = assumedRoundTrip
    }

    /// Callers coming: queries with an open session and no phase yet.
    var expected = 0

    /// Whether a new request should board rather than leave now.
    var shouldBoard: Bool { airborne > 0 || !boarding.isEmpty || expected > 0 }

    /// Whether the boarding round should leave now rather than wait: no
    /// request in the air to wait for, and no caller coming.
    var waitsForNothing: Bool { airborne == 0 && expected == 0 && !boarding.isEmpty }

    /// The longest a request boards: the bare round trip, measured as the
    /// fastest of the last 16 requests. Waiting longer than one round trip
    /// would cost a boarded scan more than a request of its own.
    var window: Duration { recent.min() ?? assumedRoundTrip }

    /// A request came back after `took`.
    mutating func measured(_ took: Duration) {
        if recent.count < 16 {
            recent.append(took)
        } else {
            recent[nextSample] = took
        }
        nextSample = (nextSample + 1) % 16
    }

    /// A boarding flight that can take `request` aboard, with the merged
    /// shape: same snapshot and strategy, a shape that merges, room under
    /// `keyLimit`, and a merged answer within every caller's memory.
    func flight(accepting request: ScanRequest, strategy: ScanStrategy, snapshot: UInt64?, keyLimit: Int,
                estimatedBytes: Double, headroomBytes: Int?) -> (Flight, ScanShape)? {
        for f in boarding where !f.stale && f.strategy == strategy && f.lease.snapshot == snapshot {
            guard let shape = f.request.shape.merged(with: request.shape),
                  f.request.bindings.count + f.newBindings(of: request) <= keyLimit else { continue }
            let least = [f.headroomBytes, headroomBytes].compactMap { $0 }.min()
            if let least, !ScanStrategy.fitsWhole(bytes: f.estimatedBytes + estimatedBytes, headroomBytes: least) {
                continue
            }
            return (f, shape)
        }
        return nil
    }

    /// `f` boards; true when it opens a round (the caller then sets its deadline).
    mutating func board(_ f: Flight) -> Bool {
        boarding.append(f)
        guard boarding.count == 1 else { return false }
        round += 1
        return true
    }

    /// Every boarding flight leaves: those still waited for are returned
    /// to be sent (counted in the air), the others are dropped unsent.
    mutating func departAll() -> (leaving: [Flight], dropped: [Flight]) {
        let all = boarding
        boarding.removeAll()
        for f in all { f.boarding = false }
        let leaving = all.filter { !$0.registered.isEmpty }
        airborne += leaving.count
        return (leaving, all.filter { $0.registered.isEmpty })
    }

    /// A request leaves without boarding.
    mutating func tookOff() { airborne += 1 }

    /// A request landed (or failed, or was cancelled).
    mutating func landed() { airborne -= 1 }
}
