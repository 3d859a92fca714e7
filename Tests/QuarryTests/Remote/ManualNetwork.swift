import Quarry

/// A materializer over a simulated network with a 1-second round trip on
/// a manual clock: the harness of the materializer's concurrency tests,
/// where nothing sleeps and every interleaving is forced by the test.
enum ManualNetwork {
    /// Fifty items, each with a number and one of five tags.
    static let data = "[" + (1...50).map { "{:db/id \($0) :item/n \($0) :item/tag \"t\($0 % 5)\"}" }.joined(separator: " ") + "]"

    /// The materializer, the network (its counters reset) and the clock.
    /// `source` is behind the network (the items by default); `front` is
    /// put between the materializer and the network. Unless `cold`, the
    /// source's description is already asked.
    static func materializer(behind source: (any DatomSource)? = nil, options: Materializer.Options = .init(),
                             front: (LatencySource) -> any DatomSource = { $0 }, cold: Bool = false) async throws
        -> (Materializer, LatencySource, ManualClock)
    {
        let clock = ManualClock()
        let latency = LatencySource(wrapping: try source ?? Database.load(edn: data), roundTrip: .seconds(1), clock: clock)
        let m = Materializer(source: front(latency), options: options, clock: clock)
        if !cold {
            let warm = Task { try await m.sourceDescription() }
            await clock.waitForSleepers(1)
            clock.advance(by: .seconds(1))
            _ = try await warm.value
            await latency.resetCounters()
        }
        return (m, latency, clock)
    }
}

/// Yields until `condition` holds (the actor has taken every call), or
/// gives up after 100,000 yields (the expectation after it then fails).
func until(_ condition: () async -> Bool) async {
    for _ in 0..<100_000 {
        if await condition() { return }
        await Task.yield()
    }
}
