import Foundation
import Testing
@testable import Quarry

/// Queries whose read sessions are open but have sent no phase yet are
/// coming callers: a scan waits for them (at most the boarding window)
/// and leaves with them, so that sessions opened together but ready a
/// round trip apart still merge their first scans. On a manual clock (a
/// 1-second network, a 5-second window).
@Suite struct ComingCallersTests {
    let n = Keyword("item/n")

    func byEntity(_ keys: [Int64]) -> ScanRequest {
        ScanRequest(shape: ScanShape(source: "memory", attributes: [n], parameters: .e, parameterKinds: [.int]),
                    bindings: keys.map { [.int($0)] })
    }

    @Test func aScanWaitsForTheCallersComingAndLeavesWithTheLast() async throws {
        let (m, latency, clock) = try await ManualNetwork.materializer(options: .init(assumedRoundTrip: .seconds(5)))
        let leases = [try await m.openSession(), try await m.openSession(), try await m.openSession()]
        let first = Task { try await m.fetch([byEntity([1])], headroomBytes: nil, lease: leases[0]) }
        await until { await m.callersWaiting == 1 }
        // Boarding, two callers coming: nothing sent.
        #expect(await latency.counters.roundTrips == 0)
        let second = Task { try await m.fetch([byEntity([2])], headroomBytes: nil, lease: leases[1]) }
        await until { await m.callersWaiting == 2 }
        #expect(await latency.counters.roundTrips == 0)
        // The last one comes: all three leave at once, in one request.
        let third = Task { try await m.fetch([byEntity([3])], headroomBytes: nil, lease: leases[2]) }
        await until { await latency.counters.roundTrips == 1 }
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(1))
        for (k, t) in [(1, first), (2, second), (3, third)] {
            #expect(try await t.value.0[0].count == 1, "caller \(k)")
        }
        let counters = await latency.counters
        #expect(counters.roundTrips == 1 && counters.keys == 3)
        // Their later phases do not wait: a lone scan leaves at once.
        let later = Task { try await m.fetch([byEntity([4])], headroomBytes: nil, lease: leases[0]) }
        await until { await latency.counters.roundTrips == 2 }
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(1))
        #expect(try await later.value.0[0].count == 1)
        for l in leases { await l.release() }
    }

    @Test func aCallerThatEndsWithoutAPhaseIsNotWaitedFor() async throws {
        let (m, latency, clock) = try await ManualNetwork.materializer(options: .init(assumedRoundTrip: .seconds(5)))
        let coming = try await m.openSession(), gone = try await m.openSession()
        let caller = Task { try await m.fetch([byEntity([1])], headroomBytes: nil, lease: coming) }
        await until { await m.callersWaiting == 1 }
        #expect(await latency.counters.roundTrips == 0)
        // The other query ends (answered without a fetch): the scan leaves without its window.
        await gone.release()
        await until { await latency.counters.roundTrips == 1 }
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(1))
        #expect(try await caller.value.0[0].count == 1)
        await coming.release()
        // Nobody coming: a lone scan leaves at once.
        let lone = Task { try await m.fetch([byEntity([2])]) }
        await until { await latency.counters.roundTrips == 2 }
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(1))
        #expect(try await lone.value.0[0].count == 1)
    }

    @Test func aCallerThatDoesNotComeIsWaitedForOneWindow() async throws {
        let (m, latency, clock) = try await ManualNetwork.materializer(options: .init(assumedRoundTrip: .seconds(5)))
        let coming = try await m.openSession(), slow = try await m.openSession()
        let caller = Task { try await m.fetch([byEntity([1])], headroomBytes: nil, lease: coming) }
        await until { await m.callersWaiting == 1 }
        // Only the window sleeps.
        await clock.waitForSleepers(1)
        #expect(await latency.counters.roundTrips == 0)
        clock.advance(by: .seconds(5))
        await until { await latency.counters.roundTrips == 1 }
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(1))
        #expect(try await caller.value.0[0].count == 1)
        await coming.release()
        await slow.release()
    }
}

private extension Materializer {
    /// A session opened as a query opens it: counted as coming, then opened.
    func openSession() async throws -> ReadLease {
        await expectSession()
        return try await openExpectedSession()
    }
}
