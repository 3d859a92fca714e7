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

    enum CodingKeys: String, CodingKey {
        case mode, rows, milliseconds = "ms", engineMilliseconds = "wall_ms"
        case engineBytesPeak = "engine_bytes_peak", residentPeakBytes = "resident_peak_bytes"
        case engineAllocations = "engine_allocations", processAllocations = "process_allocations"
        case subqueryRuns = "subquery_runs", rowsDeduplicated = "rows_deduplicated"
        case vsSQLiteWide = "vs_sqlite_wide", vsSQLiteEAV = "vs_sqlite_eav", agreesWithSQLite = "agrees_with_sqlite"
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

/// Runs the OHLC query of one size in every mode asked for, and SQLite's
/// GROUP BY over the same data.
struct OHLCBenchmark {
    let workload: OHLCWorkload
    let repetitions: Int

    func runQuarry(_ db: Database, mode: SubqueryMode) throws -> (ModeMeasurement, [[Double]]) {
        let (result, r) = try Self.measureQuarry(OHLCWorkload.query, on: db, mode: mode, repetitions: repetitions)
        return (result, r.rows.map { $0.map(\.number) }.sorted { $0[0] < $1[0] })
    }

    /// Runs `query` in `mode`: the median time of the repetitions, the
    /// memory and allocation figures of the last (they do not vary).
    static func measureQuarry(_ query: String, on db: Database, mode: SubqueryMode,
                              repetitions: Int) throws -> (ModeMeasurement, QueryResult) {
        var times: [Double] = [], engineTimes: [Double] = []
        var last: QueryResult?, lastMeasured: Measured?
        var residentPeak: UInt64?
        for _ in 0..<repetitions {
            var result: QueryResult?
            ResidentPeak.reset()
            let m = try measure { result = try db.query(query, options: QueryOptions(subqueries: mode)) }
            residentPeak = ResidentPeak.bytes()
            times.append(m.seconds * 1000)
            engineTimes.append(result!.stats.wallMilliseconds)
            (last, lastMeasured) = (result, m)
        }
        let r = last!, m = lastMeasured!
        return (ModeMeasurement(
            mode: mode.rawValue, rows: r.rows.count, milliseconds: median(times),
            engineMilliseconds: median(engineTimes), engineBytesPeak: r.stats.engineBytesPeak,
            residentPeakBytes: residentPeak, engineAllocations: r.stats.allocations,
            processAllocations: m.processAllocations, subqueryRuns: r.stats.subqueryRuns,
            rowsDeduplicated: r.stats.rowsDeduplicated), r)
    }

    func runSQLite(_ sqlite: OHLCSQLite) throws -> (OHLCSQLiteResult, [[Double]]) {
        let (ms, residentPeak, rows) = try Self.measureSQLite(repetitions: repetitions, sqlite.run)
        return (OHLCSQLiteResult(hours: workload.hours, bars: workload.bars, form: sqlite.form, rows: rows.count,
                                 milliseconds: ms, residentPeakBytes: residentPeak),
                rows.sorted { $0[0] < $1[0] })
    }

    /// Runs a SQLite query `repetitions` times: the median time, the last
    /// run's resident peak, and its rows.
    static func measureSQLite(repetitions: Int,
                              _ run: () throws -> [[Double]]) throws -> (Double, UInt64?, [[Double]]) {
        var times: [Double] = []
        var rows: [[Double]] = []
        var residentPeak: UInt64?
        for _ in 0..<repetitions {
            ResidentPeak.reset()
            let m = try measure { rows = try run() }
            residentPeak = ResidentPeak.bytes()
            times.append(m.seconds * 1000)
        }
        return (median(times), residentPeak, rows)
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
