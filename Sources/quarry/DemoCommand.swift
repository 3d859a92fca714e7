import ArgumentParser
import Foundation
import Quarry
import QuarryReport

/// `quarry demo ohlc [--hours H] [--bars B] [--subqueries MODE]`.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Generate a workload, run its query, and compare the subquery modes.",
        subcommands: [OHLCDemo.self]
    )
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

    @Option(name: .long, help: "The mode whose result is shown: materialized, streaming, decorrelated or auto.")
    var subqueries: SubqueryMode = .auto

    func validate() throws {
        guard hours > 0, bars > 0 else { throw ValidationError("hours and bars must be positive") }
    }

    func run() throws {
        let workload = OHLCWorkload(hours: hours, bars: bars)
        let db = try Database.load(edn: workload.edn())
        print("\(hours) hours × \(bars) bars: \(db.count) datoms\n")
        let (shown, result) = try OHLCWorkload.run(on: db, mode: subqueries)
        var bars = Table(headers: result.columns, rightAligned: Set(0..<result.columns.count))
        let sorted = result.rows.sorted { ($0[0].intValue ?? 0) < ($1[0].intValue ?? 0) }
        for row in sorted.prefix(5) { bars.append(row.map { EDNWriter.write($0) }) }
        print("first bars (\(shown.mode), \(result.rows.count) rows):")
        print(bars.render())
        print(result.plan.split(separator: "\n").first { $0.contains("SubqueryJoin") }.map { "plan: " + $0.trimmingCharacters(in: .whitespaces) } ?? "")
        print()
        var modes = Table(headers: ["mode", "rows", "ms", "engine peak bytes", "engine allocs", "subquery runs",
                                    "rows deduplicated"], rightAligned: [1, 2, 3, 4, 5, 6])
        for mode in SubqueryMode.allCases {
            let (run, _) = try OHLCWorkload.run(on: db, mode: mode)
            modes.append([run.mode, Format.grouped(run.rows), Format.fixed(run.milliseconds, 2),
                          Format.grouped(run.engineBytesPeak), Format.grouped(run.allocations),
                          Format.grouped(run.subqueryRuns), Format.grouped(run.rowsDeduplicated)])
        }
        print(modes.render())
    }
}

private extension Value {
    var intValue: Int64? { if case .int(let i) = self { i } else { nil } }
}
