import Logging
import Metrics

/// Where a query reports what it did: a swift-log `Logger` and a
/// swift-metrics factory. Nothing is logged at `.info` or above unless
/// ``slowQueryThreshold`` is set, so an application that never configured
/// logging sees no output.
///
/// - Planning decisions at `.debug`: each plan, as EXPLAIN prints it (a
///   remote query logs one per round). Written only when the logger's
///   level lets debug through.
/// - Queries at least ``slowQueryThreshold`` slow at `.info`, with their
///   time, rows, engine bytes, text and, when the query came from a larger
///   text, its position in it.
/// - Metrics: `quarry_queries` (counter), `quarry_query_errors` (counter,
///   dimension `kind`: `query` for text or data the query cannot take
///   (syntax, unbound variables, bad inputs), `budget`, `deadline`,
///   `cancelled`, `source` for a store that failed, `other`), `quarry_query_duration`
///   (timer) and `quarry_query_engine_bytes_peak` (recorder, aggregated).
public struct QueryObservation: Sendable {
    /// The logger; by default one labelled `quarry` from the bootstrapped logging system.
    public var logger: Logger
    /// Queries that take at least this long are logged at `.info`; nil logs none.
    public var slowQueryThreshold: Duration?
    /// Where the metrics go.
    public let metrics: any MetricsFactory
    // Made once per observation, not per query: a point query takes microseconds.
    private let queries: Counter
    private let duration: Metrics.Timer
    private let bytesPeak: Recorder

    /// `metrics` nil takes the bootstrapped `MetricsSystem` as it is now:
    /// bootstrap it before making an observation (or running the first
    /// query with ``standard``).
    public init(logger: Logger = QueryObservation.defaultLogger, slowQueryThreshold: Duration? = nil,
                metrics: (any MetricsFactory)? = nil) {
        self.logger = logger
        self.slowQueryThreshold = slowQueryThreshold
        let factory = metrics ?? MetricsSystem.factory
        self.metrics = factory
        queries = Counter(label: "quarry_queries", factory: factory)
        duration = Metrics.Timer(label: "quarry_query_duration", factory: factory)
        bytesPeak = Recorder(label: "quarry_query_engine_bytes_peak", factory: factory)
    }

    /// The logger queries use unless told otherwise.
    public static let defaultLogger = Logger(label: "quarry")

    /// The observation of ``QueryOptions`` unless told otherwise: the
    /// default logger, no slow-query log, the bootstrapped metrics system
    /// as it is when the first query runs.
    public static let standard = QueryObservation()

    /// What a finished query books: its rows and its engine bytes at the peak.
    struct Outcome {
        var rows: Int
        var engineBytesPeak: UInt64

        init(rows: Int, engineBytesPeak: UInt64) {
            self.rows = rows
            self.engineBytesPeak = engineBytesPeak
        }

        init(_ result: QueryResult) {
            self.init(rows: result.rows.count, engineBytesPeak: result.stats.engineBytesPeak)
        }
    }

    /// Runs a query and books it.
    func observe(text: String?, position: SourcePosition?, since start: ContinuousClock.Instant,
                 _ body: () throws -> QueryResult) throws -> QueryResult {
        let outcome = Result { try body() }
        record(outcome.map(Outcome.init), took: ContinuousClock.now - start, text: text, position: position)
        return try outcome.get()
    }

    /// Runs a remote query and books it.
    func observe(text: String?, position: SourcePosition?, since start: ContinuousClock.Instant,
                 _ body: () async throws -> QueryResult) async throws -> QueryResult {
        let outcome: Result<QueryResult, any Error>
        do { outcome = .success(try await body()) } catch { outcome = .failure(error) }
        record(outcome.map(Outcome.init), took: ContinuousClock.now - start, text: text, position: position)
        return try outcome.get()
    }

    /// Logs the plan at `.debug`, only when debug is let through.
    func plan(_ text: @autoclosure () -> String) {
        guard logger.logLevel <= .debug else { return }
        logger.debug("query planned", metadata: ["plan": .string(text())])
    }

    /// Books one query: its metrics, and a log line when it was slow.
    func record(_ outcome: Result<Outcome, any Error>, took: Duration, text: String?, position: SourcePosition?) {
        queries.increment()
        duration.recordNanoseconds(Self.nanoseconds(took))
        switch outcome {
        case .success(let result):
            bytesPeak.record(Int64(clamping: result.engineBytesPeak))
            guard let threshold = slowQueryThreshold, took >= threshold else { return }
            var metadata: Logger.Metadata = [
                "ms": .stringConvertible(Double(Self.nanoseconds(took)) / 1e6),
                "rows": .stringConvertible(result.rows),
                "engine_bytes_peak": .stringConvertible(result.engineBytesPeak),
            ]
            if let text { metadata["query"] = .string(Self.excerpt(text)) }
            if let position, position != .unknown { metadata["position"] = .string("\(position.line):\(position.column)") }
            logger.info("slow query", metadata: metadata)
        case .failure(let error):
            Counter(label: "quarry_query_errors", dimensions: [("kind", Self.kind(of: error))], factory: metrics).increment()
        }
    }

    /// What kind of failure an error is, for the errors counter.
    static func kind(of error: any Error) -> String {
        switch error {
        case let e as QuarryError:
            switch e.kind {
            case .syntax, .query, .input, .transaction: "query"
            case .budget: "budget"
            case .deadline: "deadline"
            case .cancelled: "cancelled"
            case .source: "source"
            case .decoding, .engine: "other"
            }
        case let e as QueryError:
            switch e.stop {
            case .cancelled?: "cancelled"
            case .deadline?: "deadline"
            case nil: e.exceededBudgetBytes == nil ? "query" : "budget"
            }
        case is EDNError, is TransactionError: "query"
        case is ScanError, is StoreError: "source"
        case is CancellationError: "cancelled"
        default: "other"
        }
    }

    /// The query text as a log shows it: at most 500 characters.
    static func excerpt(_ text: String) -> String {
        text.count <= 500 ? text : String(text.prefix(500)) + "…"
    }

    private static func nanoseconds(_ d: Duration) -> Int64 {
        let (s, overflow) = d.components.seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : s.addingReportingOverflow(d.components.attoseconds / 1_000_000_000).partialValue
    }
}
