import Foundation
import Testing
@testable import Quarry

/// A source that finishes every request it started, cancelled or not (as
/// a database server may): the materializer must judge such an answer by
/// the writes that came while it was out.
struct UncancellableSource: DatomSource {
    let inner: any DatomSource
    var name: String { inner.name }
    func describe() async throws -> SourceDescription { try await inner.describe() }
    func scan(_ request: ScanRequest, account: MemoryAccount?) async throws -> ScanRows {
        let inner = inner
        return try await Task.detached { try await inner.scan(request, account: account) }.value
    }
}

/// The races of a materializer against writes and cancellation, each
/// forced on a manual clock: no answer read before a write is kept after
/// it, nothing is asked twice, and a cancelled phase sends nothing more.
@Suite struct MaterializerRaceTests {
    let n = Keyword("item/n")
    let tag = Keyword("item/tag")

    func request(_ keys: [Int64]) -> ScanRequest {
        ScanRequest(shape: ScanShape(source: "memory", attributes: [n], parameters: .e, parameterKinds: [.int]),
                    bindings: keys.map { [.int($0)] })
    }

    /// A scan that cannot travel with ``request(_:)``: keyed by value.
    func byTag(_ t: String) -> ScanRequest {
        ScanRequest(shape: ScanShape(source: "memory", attributes: [tag], parameters: .v, parameterKinds: [.string]),
                    bindings: [[.string(t)]])
    }

    /// A materializer over a 1-second network that finishes what it starts;
    /// its description is known unless `cold`.
    func setUp(cold: Bool = false) async throws -> (Materializer, LatencySource, ManualClock) {
        try await ManualNetwork.materializer(front: { UncancellableSource(inner: $0) }, cold: cold)
    }

    @Test func anAnswerReadAcrossAWriteIsNotCached() async throws {
        let (m, _, clock) = try await setUp()
        let caller = Task { try await m.fetch([request([1])]).0[0].count }
        await clock.waitForSleepers(1)
        await m.invalidate([n])
        clock.advance(by: .seconds(1))
        #expect(try await caller.value == 1)
        #expect(await m.cachedBytes == 0)
        // With no write in the way, the same answer is kept (after the
        // description the write dropped is asked again).
        let again = Task { try await m.fetch([request([1])]).0[0].count }
        for _ in 0..<2 {
            await clock.waitForSleepers(1)
            clock.advance(by: .seconds(1))
        }
        #expect(try await again.value == 1)
        #expect(await m.cachedBytes > 0)
    }

    @Test func aFlightItsCallersLeftIsNotCachedWhenItLands() async throws {
        let (m, latency, clock) = try await setUp()
        // Two requests that cannot merge: each is sent in a task of its own.
        let caller = Task { try await m.fetch([request([1]), byTag("t1")]) }
        await clock.waitForSleepers(2)
        caller.cancel()
        await #expect(throws: CancellationError.self) { try await caller.value }
        await until { await m.flightsInAir == 0 }
        // The write comes while the requests the materializer let go are still out.
        await m.invalidate([n, tag])
        clock.advance(by: .seconds(1))
        // Both land: the source sent their rows, and the materializer booked them.
        let sent = await latency.counters.rows
        await until { await m.currentMetrics.rowsFetched == sent }
        #expect(await m.currentMetrics.rowsFetched == sent && sent > 0)
        #expect(await m.cachedBytes == 0)
    }

    @Test func aDescriptionAskedBeforeAWriteIsNotKept() async throws {
        let (m, latency, clock) = try await setUp(cold: true)
        let first = Task { try await m.sourceDescription() }
        await clock.waitForSleepers(1)
        await m.invalidate([n])
        clock.advance(by: .seconds(1))
        _ = try await first.value
        // The next caller asks again.
        let second = Task { try await m.sourceDescription() }
        await until { clock.sleeperCount == 1 }
        #expect(clock.sleeperCount == 1)
        guard clock.sleeperCount == 1 else { return second.cancel() }
        clock.advance(by: .seconds(1))
        _ = try await second.value
        #expect(await latency.counters.roundTrips == 2)
        // Asked after the write, it is kept.
        _ = try await m.sourceDescription()
        #expect(await latency.counters.roundTrips == 2)
    }

    @Test func twoCallersOnAColdMaterializerShareTheDescriptionAndTheScan() async throws {
        let (m, latency, clock) = try await setUp(cold: true)
        let callers = (0..<2).map { _ in Task { try await m.fetch([request([1, 2])]).0[0].count } }
        await clock.waitForSleepers(1)
        await until { await m.describeCallers == 2 }
        clock.advance(by: .seconds(1))
        await clock.waitForSleepers(1)
        await until { await m.callersWaiting == 2 }
        clock.advance(by: .seconds(1))
        for c in callers { #expect(try await c.value == 2) }
        #expect(await latency.counters.roundTrips == 2)
        #expect(await latency.counters.keys == 2)
    }

    @Test func aCancelledCallerStopsWaitingForTheDescriptionAndTheLastOneCancelsIt() async throws {
        let (m, _, clock) = try await setUp(cold: true)
        let caller = Task { try await m.sourceDescription() }
        await clock.waitForSleepers(1)
        await until { await m.describeCallers == 1 }
        caller.cancel()
        await #expect(throws: CancellationError.self) { try await caller.value }
        // Its only caller gone, the request is cancelled too.
        await until { clock.sleeperCount == 0 }
        #expect(clock.sleeperCount == 0)
        #expect(await m.describeCallers == 1)
    }

    @Test func aCancelledPartialPhaseSendsNothingMore() async throws {
        let (m, latency, clock) = try await setUp()
        // Little memory left: 48 keys go as partial requests of 12, one at a time.
        let tight = Task { try await m.fetch([request(Array(1...48))], headroomBytes: 800) }
        await clock.waitForSleepers(1)
        tight.cancel()
        await #expect(throws: CancellationError.self) { try await tight.value }
        clock.advance(by: .seconds(1))
        await until { await m.flightsInAir == 0 }
        for _ in 0..<1000 { await Task.yield() }
        #expect(await latency.counters.roundTrips == 1)
        #expect(clock.sleeperCount == 0)
    }

    @Test func aPartialPhaseLooksUpWhatIsLeftAfterEachRequest() async throws {
        let (m, latency, clock) = try await setUp()
        let tight = Task { try await m.fetch([request(Array(20...40))], headroomBytes: 800).0[0].count }
        await clock.waitForSleepers(1)
        // While the first 12 keys are out, another caller asks for the last
        // 9: its request boards (the second sleeper is its deadline) and
        // leaves when the first lands.
        let other = Task { try await m.fetch([request(Array(32...40))]).0[0].count }
        await clock.waitForSleepers(2)
        clock.advance(by: .seconds(1))
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(1))
        #expect(try await other.value == 9)
        #expect(try await tight.value == 21)
        #expect(await latency.counters.roundTrips == 2)
        #expect(await latency.counters.keys == 21)
        // Each key is a hit or a miss once, looked up again or not.
        let metrics = await m.currentMetrics
        #expect(metrics.cacheHits + metrics.cacheMisses == metrics.keys && metrics.keys == 30)
    }
}
