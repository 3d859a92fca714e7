import Foundation
import Quarry
import Testing

/// A source that fails every scan after its round trip.
struct FailingSource: DatomSource {
    let inner: Database
    var name: String { "failing" }
    func describe() async throws -> SourceDescription { try await inner.describe() }
    func scan(_ request: ScanRequest, account: MemoryAccount?) async throws -> ScanRows {
        throw ScanError("disk on fire")
    }
}

/// Flights, cancellation, eviction and invalidation, on a manual clock:
/// nothing sleeps, every interleaving is forced by the test.
@Suite struct MaterializerFlightTests {
    static let data = ManualNetwork.data
    let n = Keyword("item/n")

    func request(_ keys: [Int64]) -> ScanRequest {
        ScanRequest(shape: ScanShape(source: "memory", attributes: [n], parameters: .e, parameterKinds: [.int]),
                    bindings: keys.map { [.int($0)] })
    }

    /// A materializer over a 1-second network whose description is already known.
    func setUp(_ source: (any DatomSource)? = nil, cacheBytes: Int = 1 << 20, timeToLive: Duration? = nil) async throws
        -> (Materializer, LatencySource, ManualClock)
    {
        try await ManualNetwork.materializer(behind: source, options: .init(cacheBytes: cacheBytes, timeToLive: timeToLive))
    }

    @Test func concurrentCallersShareOneFlight() async throws {
        let (m, latency, clock) = try await setUp()
        let callers = (0..<16).map { _ in Task { try await m.fetch([request([1, 2, 3])]).0[0].count } }
        await clock.waitForSleepers(1)
        await until { await m.callersWaiting == 16 }
        clock.advance(by: .seconds(1))
        for c in callers { #expect(try await c.value == 3) }
        #expect(await latency.counters.roundTrips == 1)
        #expect(await m.currentMetrics.flightsShared == 15)
        // Landed and cached: a later caller costs nothing.
        #expect(try await m.fetch([request([2])]).0[0].count == 1)
        #expect(await latency.counters.roundTrips == 1)
    }

    @Test func atMostTheLimitOfRequestsIsInFlightAndTheRestWaitTheirTurn() async throws {
        let (m, latency, clock) = try await ManualNetwork.materializer(
            options: .init(maxRequestsInFlight: 2, batchAcrossCallers: false))
        // Five scans no flight can share: two go out, three wait for a slot.
        let callers = (1...5).map { k in Task { try await m.fetch([request([Int64(k)])]).0[0].count } }
        await clock.waitForSleepers(2)
        await until { m.requestsQueued == 3 }
        #expect(await latency.counters.roundTrips == 2)
        clock.advance(by: .seconds(1))
        await clock.waitForSleepers(2)
        clock.advance(by: .seconds(1))
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(1))
        for c in callers { #expect(try await c.value == 1) }
        let counters = await latency.counters
        #expect(counters.roundTrips == 5 && counters.peakInFlight == 2)
        // The waits are not latency: five requests of one simulated second each.
        #expect(await m.currentMetrics.individualLatency.count == 5)
    }

    @Test func aFlightCancelledWhileWaitingForASlotIsNeverSent() async throws {
        let (m, latency, clock) = try await ManualNetwork.materializer(
            options: .init(maxRequestsInFlight: 1, batchAcrossCallers: false))
        let first = Task { try await m.fetch([request([1])]).0[0].count }
        await clock.waitForSleepers(1)
        let waits = Task { try await m.fetch([request([2])]).0[0].count }
        await until { m.requestsQueued == 1 }
        waits.cancel()
        await #expect(throws: CancellationError.self) { try await waits.value }
        await until { await m.flightsInAir == 1 }
        clock.advance(by: .seconds(1))
        #expect(try await first.value == 1)
        #expect(await latency.counters.roundTrips == 1)
        // The slot is free again.
        let third = Task { try await m.fetch([request([3])]).0[0].count }
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(1))
        #expect(try await third.value == 1)
    }

    @Test func aFailedLeaderFailsEveryFollowerWithTheCauseAndIsForgotten() async throws {
        let (m, latency, clock) = try await setUp(FailingSource(inner: try Database.load(edn: Self.data)))
        let callers = (0..<3).map { _ in Task { try await m.fetch([request([1])]) } }
        await clock.waitForSleepers(1)
        await until { await m.callersWaiting == 3 }
        clock.advance(by: .seconds(1))
        for c in callers {
            await #expect { try await c.value } throws: { "\($0)".contains("disk on fire") && "\($0)".contains("item/n") }
        }
        #expect(await m.flightsInAir == 0)
        let again = Task { try await m.fetch([request([1])]) }
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(1))
        await #expect(throws: ScanError.self) { try await again.value }
        #expect(await latency.counters.roundTrips == 2)
    }

    @Test func aCancelledFollowerLeavesTheFlightToTheOthers() async throws {
        let (m, latency, clock) = try await setUp()
        let stays = Task { try await m.fetch([request([4, 5])]).0[0].count }
        // The follower comes once the flight is in the air: first, it would lead a flight of its own.
        await clock.waitForSleepers(1)
        await until { await m.callersWaiting == 1 }
        let leaves = Task { try await m.fetch([request([4])]).0[0].count }
        await until { await m.callersWaiting == 2 }
        leaves.cancel()
        await until { await m.callersWaiting == 1 }
        await #expect(throws: CancellationError.self) { try await leaves.value }
        clock.advance(by: .seconds(1))
        #expect(try await stays.value == 2)
        #expect(await m.currentMetrics.flightsCancelled == 0)
        #expect(await latency.counters.roundTrips == 1)
    }

    @Test func aCancelledLeaderLeavesTheFlightToItsFollowers() async throws {
        let (m, latency, clock) = try await setUp()
        // The leader sends its phase's only request from its own task.
        let leader = Task { try await m.fetch([request([8])]).0[0].count }
        await clock.waitForSleepers(1)
        let follower = Task { try await m.fetch([request([8])]).0[0].count }
        await until { await m.callersWaiting == 2 }
        leader.cancel()
        await #expect(throws: CancellationError.self) { try await leader.value }
        // The request is sent again for the follower, in a task of its own.
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(1))
        #expect(try await follower.value == 1)
        #expect(await latency.counters.roundTrips == 2)
        #expect(await m.currentMetrics.flightsCancelled == 0)
        #expect(await m.flightsInAir == 0)
    }

    @Test func aFlightNobodyWaitsForIsCancelled() async throws {
        let (m, _, clock) = try await setUp()
        let callers = (0..<2).map { _ in Task { try await m.fetch([request([6])]) } }
        await clock.waitForSleepers(1)
        await until { await m.callersWaiting == 2 }
        for c in callers { c.cancel() }
        await until { await m.flightsInAir == 0 && clock.sleeperCount == 0 }
        for c in callers { await #expect(throws: CancellationError.self) { try await c.value } }
        #expect(await m.currentMetrics.flightsCancelled == 1)
        #expect(clock.sleeperCount == 0)
        // Nothing poisoned: the next caller starts a new flight.
        let next = Task { try await m.fetch([request([6])]).0[0].count }
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(1))
        #expect(try await next.value == 1)
    }

    @Test func theCacheStaysUnderItsByteBudget() async throws {
        let (m, _, clock) = try await setUp(cacheBytes: 600)
        for k in Int64(1)...20 {
            let t = Task { try await m.fetch([request([k])]) }
            await clock.waitForSleepers(1)
            clock.advance(by: .seconds(1))
            _ = try await t.value
            #expect(await m.cachedBytes <= 600)
        }
        #expect(await m.currentMetrics.cacheEvictions > 0)
    }

    @Test func anAnswerOlderThanItsTimeToLiveIsFetchedAgain() async throws {
        let (m, latency, clock) = try await setUp(timeToLive: .seconds(5))
        func fetch() async throws {
            let t = Task { try await m.fetch([request([7])]) }
            await clock.waitForSleepers(1)
            clock.advance(by: .seconds(1))
            _ = try await t.value
        }
        try await fetch()
        // Stored at 2 s; at 5 s it is 3 s old, at 8 s 6 s old.
        clock.advance(by: .seconds(3))
        #expect(try await m.fetch([request([7])]).0[0].count == 1)
        #expect(await latency.counters.roundTrips == 1)
        clock.advance(by: .seconds(3))
        try await fetch()
        #expect(await latency.counters.roundTrips == 2)
    }

    @Test func aPhaseMergesShapesAndSwitchesStrategyUnderPressure() async throws {
        let (m, latency, clock) = try await setUp()
        let tag = Keyword("item/tag")
        let other = ScanRequest(shape: ScanShape(source: "memory", attributes: [tag], parameters: .e, parameterKinds: [.int]),
                                bindings: [[.int(1)], [.int(9)]])
        let t = Task { try await m.fetch([request([1, 2]), other]) }
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(1))
        let (results, report) = try await t.value
        #expect(results.map(\.count) == [2, 2])
        #expect(report.requests.count == 1 && report.requests[0].strategy == .batched)
        #expect(await latency.counters.roundTrips == 1)
        // Little memory left (21 rows of 16 bytes against 800): partial
        // requests of 12 keys, one at a time.
        let tight = Task { try await m.fetch([request(Array(20...40))], headroomBytes: 800) }
        for _ in 0..<2 {
            await clock.waitForSleepers(1)
            clock.advance(by: .seconds(1))
        }
        let (_, partial) = try await tight.value
        #expect(partial.requests.allSatisfy { $0.strategy == .partial } && partial.requests.count == 2)
        #expect(await m.currentMetrics.strategySwitches["partial"] == 1)
    }
}
