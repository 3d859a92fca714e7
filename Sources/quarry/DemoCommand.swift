import ArgumentParser
import Foundation
import Quarry
import QuarryWorkloads
import QuarryReport

/// `quarry demo ohlc|market ...`.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Generate a workload, run its query, and compare the subquery modes.",
        subcommands: [OHLCDemo.self, MarketDemo.self]
    )

    /// Prints the first rows of the result in mode `options.subqueries`,
    /// the plan line of each subquery, and a table of every mode. Under a
    /// memory budget, a mode that passes it reads `over budget` in the
    /// table; if the shown mode does, its error is printed in place of its
    /// rows and the demo then exits with status 1.
    static func show(_ query: String, on db: Database, options: DemoModeOptions, first: Int,
                     sortedBy order: (ResultRow, ResultRow) -> Bool) throws {
        let (mode, limit) = (options.subqueries, options.memoryLimit?.bytes)
        var failed = false
        do {
            let (shown, result) = try ModeRun.measure(query, on: db, mode: mode, explain: true, memoryLimitBytes: limit)
            var rows = Table(headers: result.columns, rightAligned: Set(0..<result.columns.count))
            for row in result.rows.sorted(by: order).prefix(first) { rows.append(row.map { EDNWriter.write($0) }) }
            print("first rows (\(shown.mode), \(result.rows.count) rows):")
            print(rows.render())
            for line in result.plan.split(separator: "\n") where line.contains("SubqueryJoin") {
                print("plan: " + line.trimmingCharacters(in: .whitespaces))
            }
        } catch let error as QueryError where error.exceededBudgetBytes != nil {
            print("\(mode.rawValue): error: \(error.message)")
            failed = true
        }
        print()
        var modes = Table(headers: ["mode", "rows", "ms", "engine peak bytes", "engine allocs", "subquery runs",
                                    "rows deduplicated"], rightAligned: [1, 2, 3, 4, 5, 6])
        for mode in SubqueryMode.allCases {
            do {
                let (run, _) = try ModeRun.measure(query, on: db, mode: mode, memoryLimitBytes: limit)
                modes.append([run.mode, Format.grouped(run.rows), Format.fixed(run.milliseconds, 2),
                              Format.grouped(run.engineBytesPeak), Format.grouped(run.allocations),
                              Format.grouped(run.subqueryRuns), Format.grouped(run.rowsDeduplicated)])
            } catch let error as QueryError where error.exceededBudgetBytes != nil {
                modes.append([mode.rawValue, "over budget", "-", "> " + Format.grouped(error.exceededBudgetBytes!),
                              "-", "-", "-"])
            }
        }
        print(modes.render())
        if failed { throw ExitCode(1) }
    }
}

/// The options every demo takes: which mode's rows it shows, and the
/// budget every mode runs under.
struct DemoModeOptions: ParsableArguments {
    @Option(name: .long, help: "The mode whose result is shown: materialized, streaming, decorrelated or auto.")
    var subqueries: SubqueryMode = .auto

    @Option(name: .long, help: "Run every mode under this engine memory budget (bytes; K, M, G suffixes).")
    var memoryLimit: ByteCount?
}

/// The OHLC demo: hourly open/high/low/close through four correlated subqueries.
struct OHLCDemo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ohlc",
        abstract: "Hourly open, high, low and close of price bars, through four correlated subqueries."
    )

    @Option(name: .long, help: "Hours of bars.")
    var hours = 200

    @Option(name: .long, help: "Bars per hour.")
    var bars = 20

    @OptionGroup var modes: DemoModeOptions

    func validate() throws {
        guard hours > 0, bars > 0 else { throw ValidationError("hours and bars must be positive") }
        // A bound on the generated data, so that no flag can make the demo run for hours.
        guard hours <= 1_000_000, bars <= 1_000_000, hours * bars <= 10_000_000 else {
            throw ValidationError("hours × bars must be at most 10,000,000")
        }
    }

    func run() throws {
        let workload = OHLCWorkload(hours: hours, bars: bars)
        let db = try Database.load(edn: workload.edn())
        print("\(hours) hours × \(bars) bars: \(db.count) datoms\n")
        try DemoCommand.show(OHLCWorkload.query, on: db, options: modes, first: 5) {
            ($0[0].intValue ?? 0) < ($1[0].intValue ?? 0)
        }
    }
}

/// The realistic variant: several symbols, one-minute bars with times and
/// volumes, rolled up per symbol, day and hour.
struct MarketDemo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "market",
        abstract: "Hourly OHLC and volume of one-minute bars of several symbols, through a correlated subquery."
    )

    @Option(name: .long, help: "Symbols (1 to \(MarketWorkload.tickers.count)).")
    var symbols = 3

    @Option(name: .long, help: "Trading days of one-minute bars.")
    var days = 5

    @OptionGroup var modes: DemoModeOptions

    func validate() throws {
        guard (1...MarketWorkload.tickers.count).contains(symbols) else {
            throw ValidationError("symbols must be 1 to \(MarketWorkload.tickers.count)")
        }
        guard days > 0, days <= 3_650 else { throw ValidationError("days must be 1 to 3650") }
    }

    func run() throws {
        let workload = MarketWorkload(symbols: symbols, days: days)
        let db = try Database.load(edn: workload.edn())
        print("\(symbols) symbols × \(days) days of one-minute bars: \(workload.bars) bars, \(db.count) datoms\n")
        // The query's own :order-by orders the rows.
        try DemoCommand.show(MarketWorkload.query, on: db, options: modes, first: 8) { _, _ in false }
    }
}

private extension Value {
    var intValue: Int64? { if case .int(let i) = self { i } else { nil } }
}
