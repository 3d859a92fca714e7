import ArgumentParser
import Foundation
import Quarry
import QuarryWorkloads
import QuarryReport

/// An OHLC size: hours × bars per hour, written `200x20`.
struct OHLCSize: ExpressibleByArgument, Encodable {
    var hours: Int
    var bars: Int

    init?(argument: String) {
        let parts = argument.lowercased().split(separator: "x")
        guard parts.count == 2, let h = Int(parts[0]), let b = Int(parts[1]), h > 0, b > 0 else { return nil }
        (hours, bars) = (h, b)
    }

    var text: String { "\(Format.grouped(hours))×\(bars)" }
}

extension SubqueryMode: ExpressibleByArgument {}

/// `quarry-bench ohlc`: the OHLC query of issue 4 in every subquery mode,
/// and SQLite's GROUP BY over the same data in a wide and an EAV table.
struct OHLCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ohlc",
        abstract: "Hourly OHLC through correlated subqueries, per mode and size, against SQLite's GROUP BY."
    )

    @OptionGroup var common: CommonOptions

    @Option(name: .long, parsing: .upToNextOption, help: "Sizes, hours x bars per hour.")
    var sizes: [OHLCSize] = [OHLCSize(argument: "200x20")!, OHLCSize(argument: "2000x20")!,
                             OHLCSize(argument: "20000x20")!]

    @Option(name: .long, parsing: .upToNextOption, help: "Subquery modes.")
    var modes: [SubqueryMode] = SubqueryMode.allCases

    @Option(name: .long, help: "Runs of each query (the median time is reported).")
    var repetitions = 5

    @Flag(name: .long, help: "Leave SQLite out.")
    var noSqlite = false

    @Flag(name: .long, help: "Leave DuckDB out (it runs where Python can import duckdb: bash Benchmarks/duckdb-setup.sh).")
    var noDuckdb = false

    @Option(name: .long, parsing: .upToNextOption,
            help: "Sizes of the realistic variant, symbols x days of one-minute bars.")
    var market: [MarketSize] = [MarketSize(argument: "3x5")!]

    @Flag(name: .long, help: "Leave the realistic variant out.")
    var noMarket = false

    func validate() throws {
        guard repetitions > 0 else { throw ValidationError("repetitions must be positive") }
    }

    func run() throws {
        common.warnIfDebug()
        var reports: [OHLCSizeReport] = []
        for size in sizes {
            let workload = OHLCWorkload(hours: size.hours, bars: size.bars)
            var load: Measured?
            var loaded: Database?
            load = try measure { loaded = try Database.load(edn: workload.edn()) }
            let db = loaded!
            var report = OHLCSizeReport(hours: size.hours, bars: size.bars, datoms: db.count,
                                        loadSeconds: load!.seconds, quarry: [], sqlite: [])
            let sqlite = try (noSqlite ? [] : OHLCSQLite.Form.allCases).map { form in
                (form, SQLiteSeries(try OHLCSQLite(form, workload: workload).run))
            }
            let quarry = modes.map { QuarrySeries(OHLCWorkload.query, on: db, mode: $0) }
            var duckdb: [DuckDBSeries] = []
            if !noDuckdb {
                (duckdb, report.duckdbNote) = try DuckDBSeries.start(workload, layouts: [.wide, .eav])
            }
            try OHLCBenchmark.interleave(sqlite.map(\.1) + duckdb + quarry, repetitions: repetitions)
            for series in duckdb {
                let rows = try series.rows()
                let result = OHLCDuckDBResult(version: series.version, rows: rows.count, milliseconds: series.milliseconds)
                if series.layout == .wide { report.duckdb = result } else { report.duckdbEAV = result }
            }
            var reference: [[Double]]?
            for (form, series) in sqlite {
                report.sqlite.append(OHLCSQLiteResult(hours: size.hours, bars: size.bars, form: form,
                                                      rows: series.rows.count, milliseconds: series.milliseconds,
                                                      residentPeakBytes: series.residentPeak))
                if form == .wide { reference = series.rows.sorted { $0[0] < $1[0] } }
            }
            for series in quarry {
                var (result, r) = series.measurement()
                let rows = r.rows.map { $0.map(\.number) }.sorted { $0[0] < $1[0] }
                let sqlite = { (form: OHLCSQLite.Form) in report.sqlite.first { $0.form == form }?.milliseconds }
                result.vsSQLiteWide = sqlite(.wide).map { result.milliseconds / $0 }
                result.vsSQLiteEAV = sqlite(.eav).map { result.milliseconds / $0 }
                result.agreesWithSQLite = reference.map { OHLCBenchmark.agree(rows, $0) }
                result.vsDuckDBWide = report.duckdb.map { result.milliseconds / $0.milliseconds }
                report.quarry.append(result)
            }
            reports.append(report)
        }
        var markets: [MarketReport] = []
        for size in noMarket ? [] : market {
            let workload = MarketWorkload(symbols: size.symbols, days: size.days)
            let db = try Database.load(edn: workload.edn())
            var report = MarketReport(symbols: workload.symbols, days: workload.days, bars: workload.bars,
                                      datoms: db.count, quarry: [])
            let sqlite = try noSqlite ? nil : SQLiteSeries(MarketSQLite(workload: workload).run)
            let quarry = modes.map { QuarrySeries(MarketWorkload.query, on: db, mode: $0) }
            try OHLCBenchmark.interleave((sqlite.map { [$0] } ?? []) + quarry, repetitions: repetitions)
            if let sqlite {
                report.sqlite = MarketSQLiteResult(rows: sqlite.rows.count, milliseconds: sqlite.milliseconds,
                                                   residentPeakBytes: sqlite.residentPeak)
            }
            for series in quarry {
                var (result, r) = series.measurement()
                // The rows are in :order-by order; the ticker column is left out of the comparison.
                let rows = r.rows.map { $0.dropFirst().map(\.number) }
                result.vsSQLiteWide = report.sqlite.map { result.milliseconds / $0.milliseconds }
                result.agreesWithSQLite = sqlite.map { OHLCBenchmark.agree(rows, $0.rows) }
                report.quarry.append(result)
            }
            markets.append(report)
        }
        let checks = TargetCheck.evaluate(ohlc: reports)
        if common.json {
            try printJSON(OHLCReport(machine: MachineInfo(), repetitions: repetitions, sizes: reports,
                                     market: markets, targets: checks))
        } else {
            print(OHLCReport.table(reports))
            if !markets.isEmpty {
                print("realistic variant (quarry demo market):")
                print(OHLCReport.table(markets))
            }
            print(TargetCheck.table(checks))
        }
        if reports.contains(where: { $0.quarry.contains { $0.agreesWithSQLite == false } })
            || markets.contains(where: { $0.quarry.contains { $0.agreesWithSQLite == false } }) {
            throw ValidationError("Quarry's rows differ from SQLite's")
        }
    }
}

/// A size of the realistic variant: symbols × days, written `3x5`.
struct MarketSize: ExpressibleByArgument {
    var symbols: Int
    var days: Int

    init?(argument: String) {
        guard let size = OHLCSize(argument: argument), size.hours <= MarketWorkload.tickers.count else { return nil }
        (symbols, days) = (size.hours, size.bars)
    }
}

struct MarketReport: Encodable {
    var symbols: Int
    var days: Int
    var bars: Int
    var datoms: Int
    var quarry: [ModeMeasurement]
    var sqlite: MarketSQLiteResult?
}

/// SQLite answering the realistic variant over its one-row-per-bar table.
struct MarketSQLiteResult: Encodable {
    var rows: Int
    var milliseconds: Double
    var residentPeakBytes: UInt64?

    enum CodingKeys: String, CodingKey { case rows, milliseconds = "ms", residentPeakBytes = "resident_peak_bytes" }
}

struct OHLCSizeReport: Encodable {
    var hours: Int
    var bars: Int
    var datoms: Int
    var loadSeconds: Double
    var quarry: [ModeMeasurement]
    var sqlite: [OHLCSQLiteResult]
    /// DuckDB's wide table, when Python could import it; else why not.
    var duckdb: OHLCDuckDBResult?
    /// DuckDB over the same datoms in an EAV table.
    var duckdbEAV: OHLCDuckDBResult?
    var duckdbNote: String?

    enum CodingKeys: String, CodingKey {
        case hours, bars, datoms, loadSeconds = "load_s", quarry, sqlite, duckdb, duckdbEAV = "duckdb_eav",
             duckdbNote = "duckdb_note"
    }
}

/// What DuckDB measured on one OHLC size, wide table, one thread.
struct OHLCDuckDBResult: Encodable {
    var version: String
    var rows: Int
    /// One run of the query, timed inside the Python process (median).
    var milliseconds: Double

    enum CodingKeys: String, CodingKey { case version, rows, milliseconds = "ms" }
}

struct OHLCReport: Encodable {
    var benchmark = "ohlc"
    var machine: MachineInfo
    var repetitions: Int
    var sizes: [OHLCSizeReport]
    var market: [MarketReport]
    var targets: [TargetCheck]

    static let headers = ["size", "engine", "rows", "ms", "engine peak KiB", "resident peak MiB", "engine allocs",
                          "process allocs", "subquery runs", "rows deduplicated", "x SQLite wide", "x SQLite EAV"]

    static func table(_ reports: [OHLCSizeReport]) -> String {
        var t = Table(headers: headers, rightAligned: Set(2..<12))
        for r in reports {
            let size = "\(Format.grouped(r.hours))×\(r.bars)"
            for q in r.quarry { t.append(row(size, q)) }
            for s in r.sqlite {
                t.append([size, "SQLite \(s.form.rawValue)", Format.grouped(s.rows), Format.fixed(s.milliseconds, 2),
                          "-", mib(s.residentPeakBytes), "-", "-", "-", "-", "-", "-"])
            }
            for (d, layout) in [(r.duckdb, "wide"), (r.duckdbEAV, "EAV")] {
                guard let d else { continue }
                t.append([size, "DuckDB \(d.version) \(layout)", Format.grouped(d.rows), Format.fixed(d.milliseconds, 2),
                          "-", "-", "-", "-", "-", "-", "-", "-"])
            }
        }
        var out = t.render()
        for r in reports {
            if let note = r.duckdbNote { out += "\n\(Format.grouped(r.hours))×\(r.bars): \(note)" }
            guard let d = r.duckdb else { continue }
            let ratios = r.quarry.compactMap { q in q.vsDuckDBWide.map { "\(q.mode) \(Format.fixed($0, 2))×" } }
            out += "\n\(Format.grouped(r.hours))×\(r.bars): Quarry's time over DuckDB's (\(Format.fixed(d.milliseconds, 2)) ms): "
                + ratios.joined(separator: ", ")
            if let e = r.duckdbEAV {
                out += "; DuckDB over the same datoms in an EAV table: \(Format.fixed(e.milliseconds, 2)) ms"
            }
        }
        return out
    }

    static func table(_ reports: [MarketReport]) -> String {
        var t = Table(headers: headers, rightAligned: Set(2..<12))
        for r in reports {
            let size = "\(r.symbols) symbols × \(r.days) days"
            for q in r.quarry { t.append(row(size, q)) }
            if let s = r.sqlite {
                t.append([size, "SQLite", Format.grouped(s.rows), Format.fixed(s.milliseconds, 2), "-",
                          mib(s.residentPeakBytes), "-", "-", "-", "-", "-", "-"])
            }
        }
        return t.render()
    }

    private static func mib(_ b: UInt64?) -> String { b.map { Format.fixed(Double($0) / 1_048_576, 1) } ?? "-" }

    private static func row(_ size: String, _ q: ModeMeasurement) -> [String] {
        [size, q.mode, Format.grouped(q.rows), Format.fixed(q.milliseconds, 2),
         Format.grouped(Int(q.engineBytesPeak / 1024)), mib(q.residentPeakBytes),
         Format.grouped(Int(q.engineAllocations)), Format.grouped(Int(q.processAllocations)),
         Format.grouped(q.subqueryRuns), Format.grouped(q.rowsDeduplicated),
         q.vsSQLiteWide.map { Format.fixed($0, 2) } ?? "-", q.vsSQLiteEAV.map { Format.fixed($0, 2) } ?? "-"]
    }
}

extension TargetCheck {
    /// Issue 4's targets, for the sizes that ran.
    static func evaluate(ohlc reports: [OHLCSizeReport]) -> [TargetCheck] {
        func result(_ hours: Int, _ mode: SubqueryMode) -> ModeMeasurement? {
            reports.first { $0.hours == hours && $0.bars == 20 }?.quarry.first { $0.mode == mode.rawValue }
        }
        var checks: [TargetCheck] = []
        if let s = result(200, .streaming), let m = result(200, .materialized) {
            let ratio = Double(m.engineBytesPeak) / Double(max(1, s.engineBytesPeak))
            checks.append(TargetCheck(target: "200×20 streaming engine peak <= 1/50 of materialized",
                                      measured: "1/" + Format.fixed(ratio, 1), met: ratio >= 50))
        }
        if let d = result(200, .decorrelated) {
            checks.append(TargetCheck(target: "200×20 decorrelated <= 2 ms", measured: Format.fixed(d.milliseconds, 2) + " ms",
                                      met: d.milliseconds <= 2))
            checks.append(TargetCheck(target: "200×20 decorrelated <= 20,000 allocations (process)",
                                      measured: Format.grouped(Int(d.processAllocations)),
                                      met: d.processAllocations <= 20_000))
            if let wide = d.vsSQLiteWide {
                checks.append(TargetCheck(target: "200×20 decorrelated faster than SQLite wide",
                                          measured: Format.fixed(wide, 2) + "x SQLite's time", met: wide < 1))
            }
        }
        for mode in [SubqueryMode.decorrelated, .streaming] {
            guard let small = result(200, mode), let large = result(20_000, mode) else { continue }
            let time = large.milliseconds / small.milliseconds
            checks.append(TargetCheck(target: "20,000×20 / 200×20 time, \(mode.rawValue) <= 110x",
                                      measured: Format.fixed(time, 1) + "x", met: time <= 110))
            let peak = Double(large.engineBytesPeak) / Double(max(1, small.engineBytesPeak))
            checks.append(TargetCheck(target: "20,000×20 / 200×20 engine peak, \(mode.rawValue) <= 110x (data 100x)",
                                      measured: Format.fixed(peak, 1) + "x", met: peak <= 110))
        }
        return checks
    }
}
