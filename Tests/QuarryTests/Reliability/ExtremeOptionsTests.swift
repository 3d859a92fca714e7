import Foundation
import Quarry
import Testing

/// Public options and initializers given extreme values (zero, negative,
/// the largest an `Int` or `Duration` holds): each is taken as documented
/// or refused with an error; none traps the host.
@Suite struct ExtremeOptionsTests {
    static let query = "[:find ?n ?w :where [?e :item/n ?n] [?e :item/w ?w]]"

    @Test(arguments: [Int.min, -1, 0, 1, Int.max])
    func materializerOptions(n: Int) async throws {
        let store = try RoundKeysTests.store()
        let expected = Set<[Value]>(try store.query(Self.query).rows)
        let options = Materializer.Options(maxKeysPerRequest: n, cacheBytes: n, timeToLive: .seconds(Int64(clamping: n)),
                                           maxRequestsInFlight: n, assumedRoundTrip: .milliseconds(Int64(clamping: n)))
        let source = LatencySource(wrapping: store, roundTrip: .zero, maxKeys: n)
        let db = RemoteDatabase(materializer: Materializer(source: source, options: options), maxRounds: n)
        try await Self.expectAnswer(await db.query(Self.query).rows, expected, rounds: n)
    }

    /// The rows the query must answer, or, when fewer than the 2 rounds it
    /// needs are allowed, the error that says so.
    private static func expectAnswer(_ run: @autoclosure () async throws -> ResultRows, _ expected: Set<[Value]>,
                                     rounds: Int) async throws {
        guard rounds < 2 else {
            #expect(Set<[Value]>(try await run()) == expected)
            return
        }
        do {
            _ = try await run()
            Issue.record("answered within \(rounds) rounds")
        } catch {
            #expect("\(error)".contains("rounds of fetches"), "\(error)")
        }
    }

    @Test(arguments: [Int.min, -1, 0, Int.max])
    func unmaterializedRounds(n: Int) async throws {
        let store = try RoundKeysTests.store()
        let source = LatencySource(wrapping: store, roundTrip: .zero, perRow: .zero, maxKeys: n)
        try await Self.expectAnswer(await RemoteDatabase(unmaterialized: source, maxRounds: n).query(Self.query).rows,
                                    Set<[Value]>(try store.query(Self.query).rows), rounds: n)
    }

    @Test(arguments: [Duration.zero, .seconds(-5), .seconds(Int64.max)])
    func sqliteBusyTimeouts(timeout: Duration) async throws {
        let path = TemporaryFiles.path("busy")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let source = try SQLiteSource(path: path, mode: .createIfMissing, busyTimeout: timeout)
        _ = try await source.transact(EDNReader.readOne("[{:db/id 1 :item/n 1}]"))
        #expect(try await RemoteDatabase(unmaterialized: source).query("[:find ?n :where [_ :item/n ?n]]").rows.count == 1)
    }

    @Test(arguments: [Duration.zero, .seconds(-5)])
    func latencies(roundTrip: Duration) async throws {
        let source = LatencySource(wrapping: try RoundKeysTests.store(), roundTrip: roundTrip, perRow: roundTrip)
        let rows = try await RemoteDatabase(unmaterialized: source).query(Self.query).rows
        #expect(rows.count == 100)
    }
}
