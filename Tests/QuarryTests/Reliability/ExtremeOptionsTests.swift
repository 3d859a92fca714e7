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
        let expected = Set(try store.query(Self.query).rows)
        let options = Materializer.Options(maxKeysPerRequest: n, cacheBytes: n, timeToLive: .seconds(Int64(clamping: n)),
                                           maxRequestsInFlight: n, assumedRoundTrip: .milliseconds(Int64(clamping: n)))
        let source = LatencySource(wrapping: store, roundTrip: .zero, maxKeys: n)
        let db = RemoteDatabase(materializer: Materializer(source: source, options: options), maxRounds: n)
        do {
            let rows = try await db.query(Self.query).rows
            #expect(Set(rows) == expected)
        } catch {
            // Refusing an option (no round allowed, no key a request) is fine; trapping is not.
            #expect(!"\(error)".isEmpty)
        }
    }

    @Test(arguments: [Int.min, -1, 0, Int.max])
    func unmaterializedRounds(n: Int) async throws {
        let source = LatencySource(wrapping: try RoundKeysTests.store(), roundTrip: .zero, perRow: .zero, maxKeys: n)
        do {
            _ = try await RemoteDatabase(unmaterialized: source, maxRounds: n).query(Self.query)
        } catch {
            #expect(!"\(error)".isEmpty)
        }
    }

    @Test(arguments: [Duration.zero, .seconds(-5), .seconds(Int64.max)])
    func sqliteBusyTimeouts(timeout: Duration) async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("quarry-busy-\(UUID()).sqlite").path
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
