import Quarry

/// What one subquery mode measured on a workload's query: what the demos
/// print.
public struct ModeRun: Sendable, Encodable {
    public var mode: String
    public var rows: Int
    /// Median of the repetitions, query time as `wall_ms` counts it.
    public var milliseconds: Double
    public var engineBytesPeak: UInt64
    public var allocations: UInt64
    public var subqueryRuns: Int
    public var rowsDeduplicated: Int

    enum CodingKeys: String, CodingKey {
        case mode, rows, milliseconds = "wall_ms", engineBytesPeak = "engine_bytes_peak", allocations
        case subqueryRuns = "subquery_runs", rowsDeduplicated = "rows_deduplicated"
    }

    /// Runs `query` in `mode` `repetitions` times over `db`; the memory
    /// figures are one run's (they do not vary). `explain` keeps the plan
    /// text; `memoryLimitBytes` is the budget of each run.
    public static func measure(_ query: String, on db: Database, mode: SubqueryMode, repetitions: Int = 3,
                               explain: Bool = false, memoryLimitBytes: UInt64? = nil) throws -> (ModeRun, QueryResult) {
        var times: [Double] = []
        var last: QueryResult?
        let options = QueryOptions(explain: explain, memoryLimitBytes: memoryLimitBytes, subqueries: mode)
        for _ in 0..<max(1, repetitions) {
            let r = try db.query(query, options: options)
            times.append(r.stats.wallMilliseconds)
            last = r
        }
        let r = last!
        times.sort()
        let run = ModeRun(mode: mode.rawValue, rows: r.rows.count, milliseconds: times[times.count / 2],
                          engineBytesPeak: r.stats.engineBytesPeak, allocations: r.stats.allocations,
                          subqueryRuns: r.stats.subqueryRuns, rowsDeduplicated: r.stats.rowsDeduplicated)
        return (run, r)
    }
}
