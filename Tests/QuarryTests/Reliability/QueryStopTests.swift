import Foundation
@testable import Quarry
import XCTest

/// Queries stopped from outside (deadline, cancellation, memory budget):
/// the error says which, the engine's bytes return to where they were, and
/// the next query runs normally. XCTest, like ``EngineBaselineTests``: the
/// engine-wide byte count must see no other test's allocations.
final class QueryStopTests: XCTestCase {
    /// A rule that generates 0, 1, 2, ... without end.
    static let generating = "[[(up ?y) [(ground 0) ?y]] [(up ?y) (up ?z) [(inc ?z) ?y]]]"
    static let endless = "[:find ?y :in $ % :where (up ?y)]"
    static let people = #"[{:db/id 1 :name "Ann" :age 30} {:db/id 2 :name "Bo" :age 40}]"#

    private func inputs() throws -> [EDN] { [try EDNReader.readOne(Self.generating)] }

    /// Runs `stop` (which must fail), then checks bytes and a normal query.
    private func assertStops(_ db: Database, file: StaticString = #filePath, line: UInt = #line,
                             _ stop: () async throws -> Void, check: (QueryError) -> Void) async throws {
        let before = MemoryStats.engine().bytesNow
        do {
            try await stop()
            XCTFail("the query was not stopped", file: file, line: line)
        } catch let error as QueryError {
            check(error)
        }
        XCTAssertEqual(MemoryStats.engine().bytesNow, before, "engine bytes after the stop", file: file, line: line)
        let r = try db.query("[:find ?n :where [_ :name ?n]]")
        XCTAssertEqual(r.rows.count, 2, file: file, line: line)
    }

    func testDeadlineStopsAGeneratingRule() async throws {
        let db = try Database.load(edn: Self.people)
        let inputs = try inputs()
        try await assertStops(db, {
            // Already passed: the run stops at its first check, whatever the machine's speed.
            _ = try db.query(Self.endless, inputs: inputs, options: QueryOptions(deadline: .now - .seconds(1)))
        }) { XCTAssertEqual($0.stop, .deadline) }
        try await assertStops(db, {
            // Passes mid-run: the fixpoint's rounds check it.
            _ = try db.query(Self.endless, inputs: inputs, options: QueryOptions(deadline: .now + .milliseconds(50)))
        }) { XCTAssertEqual($0.stop, .deadline) }
    }

    func testMemoryBudgetStopsAGeneratingRule() async throws {
        let db = try Database.load(edn: Self.people)
        let inputs = try inputs()
        try await assertStops(db, {
            _ = try db.query(Self.endless, inputs: inputs, options: QueryOptions(memoryLimitBytes: 4 << 20))
        }) { XCTAssertEqual($0.exceededBudgetBytes, 4 << 20) }
    }

    func testCancellationStopsALocalQuery() async throws {
        let db = try Database.load(edn: Self.people)
        let inputs = try inputs()
        try await assertStops(db, {
            let task = Task { try db.query(Self.endless, inputs: inputs) }
            task.cancel()
            _ = try await task.value
        }) { XCTAssertEqual($0.stop, .cancelled) }
    }

    func testCancellationStopsARemoteQueryWaitingForAFetch() async throws {
        let db = try Database.load(edn: Self.people)
        // A manual clock that never advances: every fetch waits for ever unless cancelled.
        let clock = ManualClock()
        let remote = RemoteDatabase(materializer: Materializer(
            source: LatencySource(wrapping: db, roundTrip: .milliseconds(10), clock: clock)))
        try await assertStops(db, {
            let task = Task { try await remote.query("[:find ?n :where [_ :name ?n]]") }
            task.cancel()
            _ = try await task.value
        }) { XCTAssertEqual($0.stop, .cancelled) }
        try await assertStops(db, {
            _ = try await remote.query("[:find ?n :where [_ :name ?n]]",
                                       options: QueryOptions(deadline: .now + .milliseconds(20)))
        }) { XCTAssertEqual($0.stop, .deadline) }
        // Cancelled while its deadline is far: the error says cancelled, not deadline.
        try await assertStops(db, {
            let task = Task {
                try await remote.query("[:find ?n :where [_ :name ?n]]", options: QueryOptions(deadline: .now + .seconds(3600)))
            }
            task.cancel()
            _ = try await task.value
        }) { XCTAssertEqual($0.stop, .cancelled) }
    }
}
