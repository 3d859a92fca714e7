import Foundation
import Testing
@testable import Quarry

/// Scans of independent callers merged into shared requests, on a manual
/// clock (a 1-second network): a lone scan never waits; scans that come
/// while a request is in the air leave together when it lands, or at the
/// boarding window's end; memory pressure splits them; a caller that
/// leaves takes nothing with it.
@Suite struct BatchCoordinatorTests {
    let n = Keyword("item/n")
    let tag = Keyword("item/tag")

    func byEntity(_ attribute: Keyword, _ keys: [Int64]) -> ScanRequest {
        ScanRequest(shape: ScanShape(source: "memory", attributes: [attribute], parameters: .e, parameterKinds: [.int]),
                    bindings: keys.map { [.int($0)] })
    }

    /// The values a caller got, by entity.
    func values(_ result: ScanResult) -> [Int64: Value] {
        var out: [Int64: Value] = [:]
        result.forEach { b, d in
            if case .int(let e) = result.request.bindings[b][0] { out[e] = d.v }
        }
        return out
    }

    @Test func aLoneScanLeavesAtOnce() async throws {
        let (m, latency, clock) = try await ManualNetwork.materializer()
        let caller = Task { try await m.fetch([byEntity(n, [1, 2])]).0[0].count }
        await clock.waitForSleepers(1)
        // Only the request sleeps: no boarding window was opened.
        #expect(clock.sleeperCount == 1)
        #expect(await latency.counters.roundTrips == 1)
        clock.advance(by: .seconds(1))
        #expect(try await caller.value == 2)
        #expect(await m.currentMetrics.requestsBoarded == 0)
    }

    @Test func callersThatComeWhileARequestIsOutLeaveTogetherWhenItLands() async throws {
        let (m, latency, clock) = try await ManualNetwork.materializer(options: .init(assumedRoundTrip: .seconds(5)))
        let first = Task { try await m.fetch([byEntity(n, [1])]) }
        await clock.waitForSleepers(1)
        // Fifteen independent callers, each with keys nobody asked for.
        let others = (2...16).map { k in Task { try await m.fetch([byEntity(n, [Int64(k)])]) } }
        await until { await m.callersWaiting == 16 }
        #expect(await latency.counters.roundTrips == 1)
        clock.advance(by: .seconds(1))
        _ = try await first.value
        // The boarded request left when the first landed: one more round trip.
        await until { await latency.counters.roundTrips == 2 }
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(1))
        for (k, o) in zip(2...16, others) {
            let (results, _) = try await o.value
            #expect(values(results[0]) == [Int64(k): .int(Int64(k))])
        }
        #expect(await latency.counters.roundTrips == 2)
        #expect(await latency.counters.keys == 16)
        let metrics = await m.currentMetrics
        #expect(metrics.requestsBoarded == 14 && metrics.roundTrips == 2)
    }

    @Test func scansOfOtherAttributesShareTheBoardedRequestAndEachGetsItsOwnRows() async throws {
        let (m, latency, clock) = try await ManualNetwork.materializer(options: .init(assumedRoundTrip: .seconds(5)))
        let first = Task { try await m.fetch([byEntity(n, [1])]) }
        await clock.waitForSleepers(1)
        let numbers = Task { try await m.fetch([byEntity(n, [3, 4])]) }
        await until { await m.callersWaiting == 2 }
        let tags = Task { try await m.fetch([byEntity(tag, [4, 5])]) }
        await until { await m.callersWaiting == 3 }
        clock.advance(by: .seconds(1))
        _ = try await first.value
        await until { await latency.counters.roundTrips == 2 }
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(1))
        #expect(values(try await numbers.value.0[0]) == [3: .int(3), 4: .int(4)])
        #expect(values(try await tags.value.0[0]) == [4: .string("t4"), 5: .string("t0")])
        // One request for both attributes, each key once.
        #expect(await latency.counters.roundTrips == 2)
        #expect(await latency.counters.keys == 4)
    }

    @Test func boardedScansLeaveAtTheWindowsEndIfTheRequestOutIsSlow() async throws {
        let (m, latency, clock) = try await ManualNetwork.materializer(
            options: .init(assumedRoundTrip: .milliseconds(100)))
        let first = Task { try await m.fetch([byEntity(n, [1])]) }
        await clock.waitForSleepers(1)
        let second = Task { try await m.fetch([byEntity(n, [2])]) }
        // The request and the boarding deadline.
        await clock.waitForSleepers(2)
        clock.advance(by: .milliseconds(100))
        // It left 100 ms in, without waiting for the first to land.
        await until { await latency.counters.roundTrips == 2 }
        #expect(await latency.counters.roundTrips == 2)
        // Both requests asleep on the clock (the second's from 100 ms) before it moves on.
        await clock.waitForSleepers(2)
        clock.advance(by: .milliseconds(900))
        _ = try await first.value
        await clock.waitForSleepers(1)
        clock.advance(by: .milliseconds(100))
        #expect(try await second.value.0[0].count == 1)
    }

    @Test func theWindowIsTheMeasuredBareRoundTrip() async throws {
        let (m, _, clock) = try await ManualNetwork.materializer(options: .init(assumedRoundTrip: .milliseconds(3)))
        #expect(await m.boardingWindow == .milliseconds(3))
        let lone = Task { try await m.fetch([byEntity(n, [1])]) }
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(1))
        _ = try await lone.value
        #expect(await m.boardingWindow == .seconds(1))
    }

    @Test func underMemoryPressureBoardedScansSplitInsteadOfMerging() async throws {
        let (m, latency, clock) = try await ManualNetwork.materializer(options: .init(assumedRoundTrip: .seconds(5)))
        let first = Task { try await m.fetch([byEntity(n, [1])]) }
        await clock.waitForSleepers(1)
        // Four keys of 16 bytes fit a quarter of 340 bytes (85), five too; eight do not.
        let a = Task { try await m.fetch([byEntity(n, [2, 3, 4, 5])], headroomBytes: 340) }
        await until { await m.callersWaiting == 2 }
        let b = Task { try await m.fetch([byEntity(n, [6, 7, 8, 9])], headroomBytes: 340) }
        await until { await m.callersWaiting == 3 }
        // Without a budget, a third merges with one of them.
        let c = Task { try await m.fetch([byEntity(n, [10])]) }
        await until { await m.callersWaiting == 4 }
        clock.advance(by: .seconds(1))
        _ = try await first.value
        await until { await latency.counters.roundTrips == 3 }
        await clock.waitForSleepers(2)
        clock.advance(by: .seconds(1))
        #expect(try await a.value.0[0].count == 4)
        #expect(try await b.value.0[0].count == 4)
        #expect(try await c.value.0[0].count == 1)
        #expect(await latency.counters.roundTrips == 3)
        #expect(await m.currentMetrics.requestsBoarded == 1)
    }

    @Test func aBoardedCallerThatLeavesTakesNothingWithItAndAloneSendsNothing() async throws {
        let (m, latency, clock) = try await ManualNetwork.materializer(options: .init(assumedRoundTrip: .seconds(5)))
        let first = Task { try await m.fetch([byEntity(n, [1])]) }
        await clock.waitForSleepers(1)
        let leaves = Task { try await m.fetch([byEntity(n, [2])]) }
        await until { await m.callersWaiting == 2 }
        let stays = Task { try await m.fetch([byEntity(n, [2, 3])]) }
        await until { await m.callersWaiting == 3 }
        leaves.cancel()
        await #expect(throws: CancellationError.self) { try await leaves.value }
        clock.advance(by: .seconds(1))
        _ = try await first.value
        await until { await latency.counters.roundTrips == 2 }
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(1))
        #expect(try await stays.value.0[0].count == 2)

        // Every boarded caller gone: nothing leaves, and the round trip it would have been is not counted.
        let again = Task { try await m.fetch([byEntity(n, [4])]) }
        await clock.waitForSleepers(1)
        let gone = Task { try await m.fetch([byEntity(n, [5])]) }
        await until { await m.callersWaiting == 2 }
        gone.cancel()
        await #expect(throws: CancellationError.self) { try await gone.value }
        clock.advance(by: .seconds(1))
        _ = try await again.value
        for _ in 0..<1000 { await Task.yield() }
        #expect(await latency.counters.roundTrips == 3)
        #expect(await m.currentMetrics.roundTrips == 3)
        #expect(await m.flightsInAir == 0)
    }

    @Test func requestsOfDifferentSnapshotsNeverMerge() throws {
        struct Session: DatomReadSession {
            let snapshot: UInt64?
            func scan(_ request: ScanRequest, account: MemoryAccount?) async throws -> ScanRows { throw ScanError("unused") }
            func close() async {}
        }
        var coordinator = BatchCoordinator(assumedRoundTrip: .seconds(1))
        let old = ReadLease(Session(snapshot: 7))
        let f = Flight(id: 1, request: byEntity(n, [1]), strategy: .batched, generation: 0, lease: old, boarding: true)
        _ = f.register()
        let opened = coordinator.board(f)
        #expect(opened)
        let other = byEntity(n, [2])
        #expect(coordinator.flight(accepting: other, strategy: .batched, snapshot: 8, keyLimit: 100, estimatedBytes: 0,
                                   headroomBytes: nil) == nil)
        #expect(coordinator.flight(accepting: other, strategy: .full, snapshot: 7, keyLimit: 100, estimatedBytes: 0,
                                   headroomBytes: nil) == nil)
        #expect(coordinator.flight(accepting: other, strategy: .batched, snapshot: 7, keyLimit: 1, estimatedBytes: 0,
                                   headroomBytes: nil) == nil)
        #expect(coordinator.flight(accepting: other, strategy: .batched, snapshot: 7, keyLimit: 2, estimatedBytes: 0,
                                   headroomBytes: nil)?.0 === f)
        let (leaving, dropped) = coordinator.departAll()
        #expect(leaving.count == 1 && dropped.isEmpty && coordinator.airborne == 1 && !f.boarding)
    }
}
