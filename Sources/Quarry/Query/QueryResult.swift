/// What a query returns.
public struct QueryResult: Sendable {
    /// The shape `:find` asked for.
    public enum Shape: Sendable, Equatable {
        /// `:find ?a ?b`: a set of rows.
        case relation
        /// `:find ?x .`: one value (at most one row of one column).
        case scalar
        /// `:find [?x ...]`: the values of one column.
        case collection
        /// `:find [?a ?b]`: one row.
        case tuple
    }

    /// Column names: `?x`, `(count ?x)`, or the `:keys` names.
    public let columns: [String]
    /// The rows; for scalar, collection and tuple finds, as one column
    /// (scalar: at most one row; tuple: at most one row of all columns).
    public let rows: ResultRows
    /// The shape `:find` asked for.
    public let shape: Shape
    /// `:keys`, `:strs` or `:syms`, when the query asked for maps.
    public let keys: ResultKeys?
    /// Whether the rows are in a meaningful order (`:order-by`).
    public let ordered: Bool
    /// Whether rows may repeat: `:with` without aggregates keeps one row
    /// per distinct binding of the `:with` variables, so the result is a
    /// bag, not a set (EDN prints it as a vector).
    public let isBag: Bool
    /// Figures of the run.
    public internal(set) var stats: QueryStats
    /// The plan, as EXPLAIN prints it (with actual figures after an analyzed
    /// run); empty unless ``QueryOptions/explain`` or ``QueryOptions/analyze``.
    public internal(set) var plan: String
}

/// Figures of one query run.
public struct QueryStats: Sendable, Codable, Equatable {
    /// The query's own time in milliseconds: parse (unless it was a
    /// ``PreparedQuery``), plan and execute.
    public var wallMilliseconds: Double
    /// Engine bytes the query held at its peak (its memory account).
    public var engineBytesPeak: UInt64
    /// Engine bytes it still held at the end (before results are returned).
    public var engineBytesNow: UInt64
    /// Allocations the engine made for the query.
    public var allocations: UInt64
    /// Runs of nested queries (subqueries), all modes counted alike.
    public var subqueryRuns: Int
    /// Rows that went through the core's dedup table to be deduplicated.
    public var rowsDeduplicated: Int
    /// Rows each operator produced, in plan order (depth first).
    public var operatorRows: [OperatorRows]
    /// For a query on a remote source, what fetching cost; nil otherwise.
    public var remote: RemoteStats?

    /// The rows one operator produced.
    public struct OperatorRows: Sendable, Codable, Equatable {
        /// The operator's name, as EXPLAIN prints it.
        public var op: String
        /// Rows it produced.
        public var rows: Int
    }

    enum CodingKeys: String, CodingKey {
        case wallMilliseconds = "wall_ms"
        case engineBytesPeak = "engine_bytes_peak"
        case engineBytesNow = "engine_bytes_now"
        case allocations
        case subqueryRuns = "subquery_runs"
        case rowsDeduplicated = "rows_deduplicated"
        case operatorRows = "operators"
        case remote
    }
}

/// What a query on a remote source fetched.
public struct RemoteStats: Sendable, Codable, Equatable {
    /// Rounds of execution (each ends in one phase of fetches; the last needs none).
    public var rounds = 0
    /// Scans the executor issued (what a run without the materializer sends).
    public var scans = 0
    /// Requests sent to the source: round trips.
    public var roundTrips = 0
    /// Rows the fetches returned.
    public var rowsFetched = 0
    /// Wire bytes the fetches returned.
    public var bytesFetched = 0
    /// Scans that joined a flight another query started.
    public var flightsShared = 0
    /// Bindings served from the materializer's cache.
    public var cacheHits = 0
    /// The share of scans that needed no round trip of their own.
    public var batchHitRate: Double { MaterializerMetrics.batchHitRate(scans: scans, roundTrips: roundTrips) }
    /// Time spent waiting for fetches, in milliseconds.
    public var fetchMilliseconds = 0.0
    /// Per request: its round, shape, keys, strategy and why (EXPLAIN shows them).
    public var requests: [String] = []

    /// All zero.
    public init() {}

    enum CodingKeys: String, CodingKey {
        case rounds, scans
        case roundTrips = "round_trips"
        case rowsFetched = "rows_fetched"
        case bytesFetched = "bytes_fetched"
        case flightsShared = "flights_shared"
        case cacheHits = "cache_hits"
        case fetchMilliseconds = "fetch_ms"
        case requests
    }
}
