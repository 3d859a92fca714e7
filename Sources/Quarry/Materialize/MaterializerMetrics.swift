/// What a materializer has done, as a snapshot.
public struct MaterializerMetrics: Sendable, Equatable, Codable {
    /// Scans the executor asked for, and their bindings.
    public var scans = 0
    /// Bindings those scans carried.
    public var keys = 0
    /// Requests sent to the source (each one round trip), rows and wire bytes they returned.
    public var roundTrips = 0
    /// Rows the requests returned.
    public var rowsFetched = 0
    /// Wire bytes the requests returned.
    public var bytesFetched = 0
    /// Scans that did not need a request of their own.
    public var roundTripsSaved: Int { max(0, scans - roundTrips) }
    /// Bindings served by the cache, or not.
    public var cacheHits = 0
    /// Bindings the cache did not hold.
    public var cacheMisses = 0
    /// Cached answers dropped to stay within the cache's budget.
    public var cacheEvictions = 0
    /// Cached answers dropped because a write touched them.
    public var cacheInvalidations = 0
    /// Scans that joined a flight another caller led.
    public var flightsShared = 0
    /// Flights cancelled because nobody waited for them any more.
    public var flightsCancelled = 0
    /// Requests merged into another caller's request that was waiting
    /// to leave, instead of going out on their own.
    public var requestsBoarded = 0
    /// Requests sent with a strategy other than `batched`, per strategy.
    public var strategySwitches: [String: Int] = [:]
    /// Latency of requests carrying one binding and of requests carrying more, in microseconds.
    public var individualLatency = LatencySummary()
    /// Latency of requests carrying more than one binding, in microseconds.
    public var batchedLatency = LatencySummary()

    /// The share of scans served without a round trip of their own.
    public var batchHitRate: Double { Self.batchHitRate(scans: scans, roundTrips: roundTrips) }

    /// The share of `scans` served without a round trip of their own.
    static func batchHitRate(scans: Int, roundTrips: Int) -> Double {
        scans == 0 ? 0 : Double(max(0, scans - roundTrips)) / Double(scans)
    }

    /// All zero.
    public init() {}

    /// The figures of `self` minus those of `before`: what happened between
    /// two snapshots (latency summaries are kept whole).
    public func since(_ before: MaterializerMetrics) -> MaterializerMetrics {
        var d = self
        d.scans -= before.scans
        d.keys -= before.keys
        d.roundTrips -= before.roundTrips
        d.rowsFetched -= before.rowsFetched
        d.bytesFetched -= before.bytesFetched
        d.cacheHits -= before.cacheHits
        d.cacheMisses -= before.cacheMisses
        d.cacheEvictions -= before.cacheEvictions
        d.cacheInvalidations -= before.cacheInvalidations
        d.flightsShared -= before.flightsShared
        d.flightsCancelled -= before.flightsCancelled
        d.requestsBoarded -= before.requestsBoarded
        for (k, v) in before.strategySwitches { d.strategySwitches[k, default: 0] -= v }
        d.strategySwitches = d.strategySwitches.filter { $0.value != 0 }
        return d
    }
}

/// Latency figures of one kind of request, in microseconds.
public struct LatencySummary: Sendable, Equatable, Codable {
    /// Requests measured.
    public var count = 0
    /// The median, in microseconds.
    public var p50 = 0.0
    /// The 99th percentile, in microseconds.
    public var p99 = 0.0
    /// The slowest, in microseconds.
    public var max = 0.0
    /// No requests yet.
    public init() {}
}
