/// What a query returns.
public struct QueryResult: Sendable {
    /// The shape `:find` asked for.
    public enum Shape: Sendable, Equatable {
        case relation, scalar, collection, tuple
    }

    /// Column names: `?x`, `(count ?x)`, or the `:keys` names.
    public let columns: [String]
    /// The rows; for scalar, collection and tuple finds, as one column
    /// (scalar: at most one row; tuple: at most one row of all columns).
    public let rows: [[Value]]
    public let shape: Shape
    /// `:keys`, `:strs` or `:syms`, when the query asked for maps.
    public let keys: ResultKeys?
    /// Whether the rows are in a meaningful order (`:order-by`).
    public let ordered: Bool
    /// Figures of the run.
    public let stats: QueryStats
    /// The plan, as EXPLAIN prints it (with actual figures after an analyzed
    /// run); empty unless ``QueryOptions/explain`` or ``QueryOptions/analyze``.
    public let plan: String
}

/// Figures of one query run.
public struct QueryStats: Sendable, Codable, Equatable {
    /// The query's own time: parse, plan and execute, in milliseconds.
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

    public struct OperatorRows: Sendable, Codable, Equatable {
        public var op: String
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
    }
}
