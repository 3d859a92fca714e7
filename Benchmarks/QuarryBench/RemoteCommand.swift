import ArgumentParser
import Foundation
import Quarry
import QuarryReport

/// `quarry-bench remote`: the materializer's round trips and wall time
/// against a simulated network (and against SQLite), per issue 5.
struct RemoteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remote",
        abstract: "Round trips and wall time of queries on a remote source, with and without the materializer."
    )

    @OptionGroup var common: CommonOptions

    @Option(name: .long, help: "Simulated round trip, milliseconds.")
    var rtt = 1.0

    @Option(name: .long, help: "Runs of each scenario (the median wall time is reported).")
    var repetitions = 3

    @Flag(name: .long, help: "Leave SQLite out.")
    var noSqlite = false

    func run() async throws {
        common.warnIfDebug()
        let report = try await RemoteBenchmark(rtt: .microseconds(Int64(rtt * 1000)), repetitions: repetitions,
                                               sqlite: !noSqlite).run()
        if common.json {
            try printJSON(report)
            return
        }
        var t = Table(headers: ["scenario", "round trips", "wall ms", "rows fetched", "flights shared", "cache hits",
                                "repeated keys"], rightAligned: [1, 2, 3, 4, 5, 6])
        for r in report.rows {
            t.append([r.scenario, Format.grouped(r.roundTrips), Format.fixed(r.wallMilliseconds, 2),
                      Format.grouped(r.rowsFetched), Format.grouped(r.flightsShared), Format.grouped(r.cacheHits),
                      Format.grouped(r.repeatedKeys)])
        }
        print("simulated round trip \(Format.fixed(rtt, 2)) ms; wall times are medians of \(repetitions) runs")
        print(t.render())
        print(TargetCheck.table(report.targets))
    }
}
