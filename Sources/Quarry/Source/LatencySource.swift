/// A source behind a simulated network: every request waits a round trip
/// plus a transfer cost per row, at most `connections` requests are in
/// flight at once (later ones queue), and a request may carry at most
/// `maxKeys` bindings. It counts what a network would carry.
///
/// The clock is injected: production uses `ContinuousClock`, tests a
/// ``ManualClock`` so that they are deterministic.
public actor LatencySource: DatomSource {
    public nonisolated let name: String
    /// The simulated round trip of every request.
    public nonisolated let roundTrip: Duration
    /// The simulated transfer time per row.
    public nonisolated let perRow: Duration
    /// The most bindings one request may carry (nil: no limit of its own).
    public nonisolated let maxKeys: Int?
    /// Requests in flight at once; later ones queue.
    public nonisolated let connections: Int
    private let inner: any DatomSource
    private let clock: any Clock<Duration>

    /// The simulated limit, or the wrapped source's when that is lower.
    public nonisolated var maxKeysPerRequest: Int? {
        switch (maxKeys, inner.maxKeysPerRequest) {
        case (let a?, let b?): min(a, b)
        case (let a, let b): a ?? b
        }
    }

    /// What the source has served so far.
    public struct Counters: Sendable, Equatable {
        /// Requests answered (each one round trip); failed ones included.
        public var roundTrips = 0
        /// Rows returned.
        public var rows = 0
        /// Bytes of the rows in wire form.
        public var bytes = 0
        /// Bindings requested.
        public var keys = 0
        /// Bindings asked for again with a shape already seen for them.
        public var repeatedKeys = 0
        /// The most requests in flight at once.
        public var peakInFlight = 0
    }

    /// What the source has served so far.
    public private(set) var counters = Counters()
    /// Bindings asked per shape (the shape hashed once per request, not per binding).
    private var seen: [ScanShape: Set<[Value]>] = [:]
    private var inFlight = 0
    /// The connections: later requests wait their turn.
    private let slots: RequestSlots

    /// Wraps `inner`; `maxKeys` nil accepts any number of bindings. A
    /// `connections` or `maxKeys` below 1 counts as 1.
    public init(wrapping inner: any DatomSource, roundTrip: Duration, perRow: Duration = .zero, maxKeys: Int? = nil,
                connections: Int = 8, clock: any Clock<Duration> = ContinuousClock()) {
        self.inner = inner
        self.name = inner.name
        self.roundTrip = roundTrip
        self.perRow = perRow
        self.maxKeys = maxKeys.map { max(1, $0) }
        // At least one connection and one key a request: fewer could never send.
        self.connections = max(1, connections)
        slots = RequestSlots(limit: self.connections)
        self.clock = clock
    }

    /// Describing the source costs one round trip too.
    public func describe() async throws -> SourceDescription {
        try await acquire()
        defer { release() }
        counters.roundTrips += 1
        let d = try await inner.describe()
        try await clock.sleep(for: roundTrip)
        return d
    }

    public func scan(_ request: ScanRequest, account: MemoryAccount?) async throws -> ScanRows {
        try await scan(request, account: account, through: nil)
    }

    /// A session of the wrapped source, behind the same simulated network.
    public func openReadSession() async throws -> any DatomReadSession {
        LatencySession(source: self, inner: try await inner.openReadSession())
    }

    /// ``scan(_:account:)`` answered by `session` of the wrapped source (nil: the source itself).
    fileprivate func scan(_ request: ScanRequest, account: MemoryAccount?,
                          through session: (any DatomReadSession)?) async throws -> ScanRows {
        if let maxKeys, request.bindings.count > maxKeys {
            throw ScanError("\(name) accepts at most \(maxKeys) keys per request, \(request.bindings.count) sent")
        }
        try await acquire()
        defer { release() }
        counters.roundTrips += 1
        counters.keys += request.bindings.count
        var asked = seen.removeValue(forKey: request.shape) ?? []
        for b in request.bindings where !asked.insert(b).inserted {
            counters.repeatedKeys += 1
        }
        seen[request.shape] = asked
        let rows: ScanRows
        do {
            rows = if let session {
                try await session.scan(request, account: account)
            } else {
                try await inner.scan(request, account: account)
            }
        } catch {
            // A failure comes back over the network too.
            try await clock.sleep(for: roundTrip)
            throw error
        }
        counters.rows += rows.count
        counters.bytes += rows.wireBytes
        try await clock.sleep(for: roundTrip + perRow * rows.count)
        return rows
    }

    /// Forgets the counters (the shapes seen included).
    public func resetCounters() {
        counters = Counters()
        seen.removeAll()
    }

    /// Waits for a free connection; a cancelled waiter leaves the queue.
    private func acquire() async throws {
        try await slots.acquire()
        inFlight += 1
        counters.peakInFlight = max(counters.peakInFlight, inFlight)
    }

    /// Hands the connection to the next waiter, or frees it.
    private func release() {
        inFlight -= 1
        slots.release()
    }
}

/// A session of the wrapped source whose scans cross the simulated network.
private struct LatencySession: DatomReadSession {
    let source: LatencySource
    let inner: any DatomReadSession

    var snapshot: UInt64? { inner.snapshot }

    func scan(_ request: ScanRequest, account: MemoryAccount?) async throws -> ScanRows {
        try await source.scan(request, account: account, through: inner)
    }

    func close() async { await inner.close() }
}
