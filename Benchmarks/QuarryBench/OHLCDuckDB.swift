import Foundation
import QuarryWorkloads

/// The OHLC query against DuckDB, one thread, through a Python process
/// that holds the database and answers `run` with one timed run, so that
/// its runs interleave with Quarry's: over a wide table (one row per bar)
/// or over the same datoms as Quarry's in an EAV table (one row per
/// datom, joined once per attribute), which tells how much of the gap is
/// the layout.
/// DuckDB comes from PyPI: `bash Benchmarks/duckdb-setup.sh` puts it in
/// `.build/duckdb-venv`; `QUARRY_PYTHON` names another interpreter.
final class DuckDBSeries: RunSeries {
    private let process = Process()
    /// How its bars are stored.
    let layout: Layout
    private let input = Pipe(), output = Pipe()
    private var lines: FileHandle { output.fileHandleForReading }
    private var times: [Double] = []
    /// DuckDB's version.
    private(set) var version = ""

    /// The interpreter to use: `QUARRY_PYTHON`, the setup script's venv, or `python3`.
    static var python: String {
        if let p = ProcessInfo.processInfo.environment["QUARRY_PYTHON"] { return p }
        let venv = FileManager.default.currentDirectoryPath + "/.build/duckdb-venv/bin/python"
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : "/usr/bin/env"
    }

    /// How the bars are stored.
    enum Layout: String {
        case wide, eav
    }

    /// A series per layout, all loaded from one file of the bars; none,
    /// with why, when DuckDB cannot be imported.
    static func start(_ workload: OHLCWorkload, layouts: [Layout]) throws -> ([DuckDBSeries], String?) {
        let csv = FileManager.default.temporaryDirectory.appendingPathComponent("quarry-ohlc-\(UUID()).csv")
        defer { try? FileManager.default.removeItem(at: csv) }
        var text = ""
        text.reserveCapacity(workload.hours * workload.bars * 60)
        for h in 0..<workload.hours {
            for b in 0..<workload.bars {
                let p = OHLCWorkload.prices(hour: h, bar: b)
                text += "\(OHLCWorkload.symbolEntity),\(h),\(p.open),\(p.high),\(p.low),\(p.close)\n"
            }
        }
        try text.write(to: csv, atomically: true, encoding: .utf8)
        var started: [DuckDBSeries] = []
        for layout in layouts {
            let series = DuckDBSeries(csv: csv.path, layout: layout)
            do {
                try series.process.run()
            } catch {
                return ([], "DuckDB left out: \(python) does not run (\(error))")
            }
            guard let first = series.readLine(), first.hasPrefix("ready ") else {
                series.process.terminate()
                return ([], "DuckDB left out: it is not importable from \(python) (run bash Benchmarks/duckdb-setup.sh)")
            }
            series.version = String(first.dropFirst(6))
            started.append(series)
        }
        return (started, nil)
    }

    private init(csv: String, layout: Layout) {
        self.layout = layout
        let script = """
            import sys, time
            try:
                import duckdb
            except ImportError:
                print("missing", flush=True); sys.exit(0)
            con = duckdb.connect()
            con.execute("SET threads = 1")
            con.execute("CREATE TABLE symbols(id BIGINT, ticker VARCHAR)")
            con.execute("INSERT INTO symbols VALUES (?, ?)", [\(OHLCWorkload.symbolEntity), "\(OHLCWorkload.ticker)"])
            con.execute("CREATE TABLE bars AS SELECT * FROM read_csv(?, header = false, columns = {'symbol': 'BIGINT', "
                        "'hour': 'BIGINT', 'open': 'DOUBLE', 'high': 'DOUBLE', 'low': 'DOUBLE', 'close': 'DOUBLE'})", [sys.argv[1]])
            q = ("SELECT b.hour, avg(b.open), max(b.high), min(b.low), avg(b.close) FROM symbols s "
                 "JOIN bars b ON b.symbol = s.id WHERE s.ticker = '\(OHLCWorkload.ticker)' GROUP BY b.hour")
            if sys.argv[2] == "eav":
                # Quarry's datoms: entity ids from 2 in bar order, a value column of doubles (hours are whole).
                con.execute("CREATE TABLE wide AS SELECT row_number() OVER () + 1 AS e, * FROM bars")
                con.execute("CREATE TABLE eav AS " + " UNION ALL ".join(
                    f"SELECT e, 'price/{c}' AS a, {c}::DOUBLE AS v FROM wide"
                    for c in ["symbol", "hour", "open", "high", "low", "close"]))
                con.execute("DROP TABLE wide")
                con.execute("DROP TABLE bars")
                q = ("SELECT h.v, avg(o.v), max(hi.v), min(lo.v), avg(c.v) FROM symbols s "
                     "JOIN eav sy ON sy.a = 'price/symbol' AND sy.v = s.id "
                     + "".join(f"JOIN eav {t} ON {t}.e = sy.e AND {t}.a = 'price/{c}' "
                               for t, c in [("h", "hour"), ("o", "open"), ("hi", "high"), ("lo", "low"), ("c", "close")])
                     + "WHERE s.ticker = '\(OHLCWorkload.ticker)' GROUP BY h.v")
            rows = con.execute(q).fetchall()
            print("ready", duckdb.__version__, flush=True)
            for line in sys.stdin:
                if line.strip() == "rows":
                    print(";".join(",".join(repr(float(x)) for x in r) for r in sorted(rows)), flush=True)
                    continue
                t = time.perf_counter()
                rows = con.execute(q).fetchall()
                print((time.perf_counter() - t) * 1000, flush=True)
            """
        let python = Self.python
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = (python == "/usr/bin/env" ? ["python3"] : []) + ["-c", script, csv, layout.rawValue]
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
    }

    private func readLine() -> String? {
        var bytes: [UInt8] = []
        while true {
            let b = lines.readData(ofLength: 1)
            guard let c = b.first else { return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self) }
            if c == UInt8(ascii: "\n") { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(c)
        }
    }

    private func ask(_ command: String) throws -> String {
        input.fileHandleForWriting.write(Data((command + "\n").utf8))
        guard let line = readLine() else { throw CocoaError(.fileReadUnknown) }
        return line
    }

    func runOnce() throws {
        guard let ms = Double(try ask("run")) else { throw CocoaError(.fileReadCorruptFile) }
        times.append(ms)
    }

    /// The median time of a run.
    var milliseconds: Double { median(times) }

    /// The last run's rows, by hour.
    func rows() throws -> [[Double]] {
        try ask("rows").split(separator: ";").map { $0.split(separator: ",").compactMap { Double($0) } }
    }

    deinit {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }
}
