import Foundation
import Logging
import MetricsTestKit
import Quarry
import Testing

/// Log lines a test's logger received.
final class LogCapture: @unchecked Sendable {
    struct Entry {
        let level: Logger.Level
        let message: String
        let metadata: Logger.Metadata
    }

    private let lock = NSLock()
    private var all: [Entry] = []

    var entries: [Entry] { lock.withLock { all } }

    func logger(level: Logger.Level) -> Logger {
        var logger = Logger(label: "test") { _ in Handler(capture: self) }
        logger.logLevel = level
        return logger
    }

    struct Handler: LogHandler {
        let capture: LogCapture
        var logLevel: Logger.Level = .info
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let entry = Entry(level: event.level, message: event.message.description, metadata: event.metadata ?? [:])
            capture.lock.withLock { capture.all.append(entry) }
        }
    }
}

@Suite("Observability: queries log and count what they did")
struct QueryObservationTests {
    static let db = try! Database.load(edn: #"[{:db/id 1 :name "Ada" :age 36} {:db/id 2 :name "Bob" :age 17}]"#)
    static let query = "[:find ?n :where [?e :name ?n] [?e :age ?a] [(> ?a 18)]]"

    @Test func everyQueryIsCountedAndTimedAndEveryErrorByKind() async throws {
        let metrics = TestMetrics()
        let options = QueryOptions(observation: QueryObservation(metrics: metrics))
        _ = try Self.db.query(Self.query, options: options)
        #expect(throws: QueryError.self) { _ = try Self.db.query("[:find ?n :where", options: options) }
        #expect(throws: QueryError.self) { _ = try Self.db.query("[:find ?n :where [?e :name ?m]]", options: options) }
        var late = options
        late.deadline = .now - .seconds(1)
        #expect(throws: QueryError.self) { _ = try Self.db.query(Self.query, options: late) }
        // A remote query is one query, however many rounds it takes.
        _ = try await RemoteDatabase(unmaterialized: Self.db).query(Self.query, options: options)

        #expect(try metrics.expectCounter("quarry_queries").totalValue == 5)
        #expect(try metrics.expectTimer("quarry_query_duration").values.count == 5)
        #expect(try metrics.expectRecorder("quarry_query_engine_bytes_peak").values.count == 2)
        #expect(try metrics.expectCounter("quarry_query_errors", [("kind", "query")]).totalValue == 2)
        #expect(try metrics.expectCounter("quarry_query_errors", [("kind", "deadline")]).totalValue == 1)
    }

    @Test func slowQueriesAreLoggedAtInfoOnlyPastTheThreshold() throws {
        let capture = LogCapture()
        let logger = capture.logger(level: .info)
        _ = try Self.db.query(Self.query, options: QueryOptions(observation: QueryObservation(logger: logger)))
        _ = try Self.db.query(Self.query, options: QueryOptions(observation: QueryObservation(
            logger: logger, slowQueryThreshold: .seconds(3600))))
        #expect(capture.entries.isEmpty)
        _ = try Self.db.query(Self.query, options: QueryOptions(observation: QueryObservation(
            logger: logger, slowQueryThreshold: .zero)))
        let entry = try #require(capture.entries.first)
        #expect(capture.entries.count == 1 && entry.level == .info && entry.message == "slow query")
        #expect(entry.metadata["query"] == .string(Self.query) && entry.metadata["rows"]?.description == "1")
        #expect(entry.metadata["ms"] != nil && entry.metadata["engine_bytes_peak"] != nil)
    }

    @Test func aQueryFromALargerTextIsLoggedWithItsPosition() throws {
        let capture = LogCapture()
        let form = try EDNReader.readOne("\n\n  \(Self.query)")
        let query = try QueryParser.parse(form)
        _ = try Self.db.query(query, options: QueryOptions(observation: QueryObservation(
            logger: capture.logger(level: .info), slowQueryThreshold: .zero)))
        #expect(capture.entries.first?.metadata["position"] == .string("3:3"))
    }

    @Test func plansAreLoggedAtDebugOnlyWhenDebugIsLetThrough() throws {
        let capture = LogCapture()
        _ = try Self.db.query(Self.query, options: QueryOptions(observation: QueryObservation(
            logger: capture.logger(level: .info))))
        #expect(capture.entries.isEmpty)
        _ = try Self.db.query(Self.query, options: QueryOptions(observation: QueryObservation(
            logger: capture.logger(level: .debug))))
        let entry = try #require(capture.entries.first)
        #expect(entry.level == .debug && entry.message == "query planned")
        #expect(entry.metadata["plan"]?.description.contains(":name") == true)
    }
}
