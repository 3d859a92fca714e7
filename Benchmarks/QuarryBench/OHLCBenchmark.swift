import Foundation
import Quarry

/// What one subquery mode measured on one workload size.
struct ModeMeasurement: Encodable {
    var mode: String
    var rows: Int
    /// `Database.query` end to end (median).
    var milliseconds: Double
    /// The query's own `wall_ms`: parse, plan, execute (median).
    var engineMilliseconds: Double
    var engineBytesPeak: UInt64
    /// The process's resident high-water mark during one run.
    var residentPeakBytes: UInt64?
    var engineAllocations: UInt64
    /// Every allocation of the process during one run, Swift's included.
    var processAllocations: UInt64
    var subqueryRuns: Int
    var rowsDeduplicated: Int
    /// Quarry's time over SQLite's, per SQLite form.
    var vsSQLiteWide: Double?
    var vsSQLiteEAV: Double?
    /// Whether the rows equal SQLite's (wide form).
    var agreesWithSQLite: Bool?
    /// Quarry's time over DuckDB's on its wide table, one thread, in the same run.
    var vsDuckDBWide: Double?

    enum CodingKeys: String, CodingKey {
        case mode, rows, milliseconds = "ms", engineMilliseconds = "wall_ms"
        case engineBytesPeak = "engine_bytes_peak", residentPeakBytes = "resident_peak_bytes"
        case engineAllocations = "engine_allocations", processAllocations = "process_allocations"
        case subqueryRuns = "subquery_runs", rowsDeduplicated = "rows_deduplicated"
        case vsSQLiteWide = "vs_sqlite_wide", vsSQLiteEAV = "vs_sqlite_eav", agreesWithSQLite = "agrees_with_sqlite"
        case vsDuckDBWide = "vs_duckdb_wide"
    }
}

/// What SQLite measured on one OHLC size in one form.
struct OHLCSQLiteResult: Encodable {
    var hours: Int
    var bars: Int
    var form: OHLCSQLite.Form
    var rows: Int
    /// Prepare, step and read every row (median).
    var milliseconds: Double
    var residentPeakBytes: UInt64?

    enum CodingKeys: String, CodingKey {
        case hours, bars, form, rows, milliseconds = "ms", residentPeakBytes = "resident_peak_bytes"
    }
}

/// One engine's runs of one query, taken a run at a time, so that the
/// runs of several engines can be interleaved (``OHLCBenchmark/interleave(_:repetitions:)``).
protocol RunSeries: AnyObject {
    func runOnce() throws
}

/// Runs of a Quarry query in one subquery mode.
final class QuarrySeries: RunSeries {
    let query: String
    let db: Database
    let mode: SubqueryMode
    private var times: [Double] = [], engineTimes: [Double] = []
    private var last: QueryResult?, lastMeasured: Measured?
    private var residentPeak: UInt64?

    init(_ query: String, on db: Database, mode: SubqueryMode) {
        self.query = query
        self.db = db
        self.mode = mode
    }

    func runOnce() throws {
        var result: QueryResult?
        ResidentPeak.reset()
        let m = try measure { result = try db.query(query, options: QueryOptions(subqueries: mode)) }
        residentPeak = ResidentPeak.bytes()
        times.append(m.seconds * 1000)
        engineTimes.append(result!.stats.wallMilliseconds)
        (last, lastMeasured) = (result, m)
    }

    /// The median times, the memory and allocation figures of the last run
    /// (they do not vary), and its result.
    func measurement() -> (ModeMeasurement, QueryResult) {
        let r = last!, m = lastMeasured!
        return (ModeMeasurement(
            mode: mode.rawValue, rows: r.rows.count, milliseconds: median(times),
            engineMilliseconds: median(engineTimes), engineBytesPeak: r.stats.engineBytesPeak,
            residentPeakBytes: residentPeak, engineAllocations: r.stats.allocations,
            processAllocations: m.processAllocations, subqueryRuns: r.stats.subqueryRuns,
            rowsDeduplicated: r.stats.rowsDeduplicated), r)
    }
}

/// Runs of a SQLite query: prepare, step, read every row.
final class SQLiteSeries: RunSeries {
    private let run: () throws -> [[Double]]
    private var times: [Double] = []
    /// The last run's rows and resident peak.
    private(set) var rows: [[Double]] = []
    private(set) var residentPeak: UInt64?

    init(_ run: @escaping () throws -> [[Double]]) {
        self.run = run
    }

    func runOnce() throws {
        ResidentPeak.reset()
        let m = try measure { rows = try run() }
        residentPeak = ResidentPeak.bytes()
        times.append(m.seconds * 1000)
    }

    /// The median time.
    var milliseconds: Double { median(times) }
}

enum OHLCBenchmark {
    /// Runs every series `repetitions` times, round by round, each round
    /// running each series once: a slow phase of the machine (on this VM
    /// they last seconds to minutes) then falls on every engine alike, and
    /// the ratios between them hold. Run one engine after another, a phase
    /// could slow one engine's runs and spare the other's.
    static func interleave(_ series: [RunSeries], repetitions: Int) throws {
        for _ in 0..<repetitions {
            for s in series { try s.runOnce() }
        }
    }

    /// Equal row for row, to a relative 1e-9 (sums in another order).
    static func agree(_ a: [[Double]], _ b: [[Double]]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { x, y in
            x.count == y.count && zip(x, y).allSatisfy { abs($0 - $1) <= 1e-9 * max(1, abs($0), abs($1)) }
        }
    }
}

extension Value {
    /// The number the OHLC rows hold (hours are integers, prices doubles).
    var number: Double {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d
        default: .nan
        }
    }
}
