import ArgumentParser
import Foundation
import QuarryReport
#if Postgres
import QuarryPostgres
#endif

/// `quarry-bench network`: queries on PostgreSQL across a real TCP delay
/// (``DelayProxy``), round trips counted by the source and by the server.
struct NetworkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "network",
        abstract: "Round trips and wall time of queries on PostgreSQL through a TCP proxy that delays every chunk.",
        discussion: """
            The server must listen on TCP and let its user create databases (the benchmark makes \
            quarry_bench_ohlc and quarry_bench_graph, dropping them first). Load pg_stat_statements \
            (shared_preload_libraries) for the server's own counts. Benchmarks/network.sh starts such a \
            server and runs this.
            """
    )

    @OptionGroup var common: CommonOptions

    @Option(name: .long, help: "The server: postgres://USER@HOST:PORT/DB (default: $QUARRY_BENCH_POSTGRES_URL).")
    var postgres: String?

    @Option(name: .long, help: "Delay of each chunk, each way, in milliseconds.")
    var oneWay = 0.5

    @Option(name: .long, help: "Runs of each scenario (the median wall time is reported).")
    var repetitions = 5

    func run() async throws {
        common.warnIfDebug()
        #if Postgres
        guard let text = postgres ?? ProcessInfo.processInfo.environment["QUARRY_BENCH_POSTGRES_URL"] else {
            throw ValidationError("give the server with --postgres or QUARRY_BENCH_POSTGRES_URL")
        }
        let report = try await NetworkBenchmark(server: try PostgresURL(text), oneWay: .microseconds(Int64(oneWay * 1000)),
                                                repetitions: max(1, repetitions)).run()
        if common.json {
            try printJSON(report)
            return
        }
        var t = Table(headers: ["scenario", "requests", "statements", "server: requests", "server: statements",
                                "server: scan ms", "wall ms", "rows"], rightAligned: [1, 2, 3, 4, 5, 6, 7])
        func count(_ n: Int?) -> String { n.map(Format.grouped) ?? "—" }
        for r in report.rows {
            t.append([r.scenario, Format.grouped(r.scans), Format.grouped(r.statements), count(r.serverScans),
                      count(r.serverStatements), r.serverMilliseconds.map { Format.fixed($0, 2) } ?? "—",
                      Format.fixed(r.wallMilliseconds, 2), Format.grouped(r.rowsFetched)])
        }
        print("""
            PostgreSQL through a proxy holding each chunk \(Format.fixed(oneWay, 2)) ms each way; \
            bare round trip (SELECT 1) \(Format.fixed(report.bareRoundTripMilliseconds, 3)) ms; \
            wall times are medians of \(repetitions) runs (1 without the materializer)
            """)
        print(t.render())
        print(TargetCheck.table(report.targets))
        #else
        throw ValidationError("this build leaves PostgreSQL out (the Postgres trait is off)")
        #endif
    }
}
