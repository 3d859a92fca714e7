import ArgumentParser
import Foundation
import Quarry
import QuarryReport

/// `quarry-bench query`: load datoms from EDN, then a point join, a 3-way
/// join and grouped aggregates over them.
struct QueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Load datoms from EDN, then run joins and grouped aggregates over them."
    )

    @OptionGroup var common: CommonOptions

    @Option(name: .long, help: "Datoms to load.")
    var datoms = 1_000_000

    @Option(name: .long, help: "Runs of each query (the median time is reported).")
    var repetitions = 5

    @Option(name: .long, help: "Also write the workload's EDN to this file (for `quarry query --db`).")
    var writeEdn: String?

    @Option(name: .long, help: "Run only the query of this name (for profiling one), e.g. \"3-way join\".")
    var only: String?

    func validate() throws {
        guard datoms >= 100 else { throw ValidationError("datoms must be at least 100") }
        guard repetitions > 0 else { throw ValidationError("repetitions must be positive") }
    }

    func run() throws {
        common.warnIfDebug()
        let bench = QueryBenchmark(workload: QueryWorkload(datoms: datoms), repetitions: repetitions)
        if let writeEdn { try bench.workload.edn().write(toFile: writeEdn, atomically: true, encoding: .utf8) }
        let (db, load) = try bench.load()
        let chosen = QueryWorkload.queries.filter { only == nil || $0.name == only }
        guard !chosen.isEmpty else { throw ValidationError("no query is named \(only ?? "")") }
        let queries = try chosen.map { try bench.run($0.name, $0.text, on: db) }
        if common.json {
            try printJSON(QueryReport(machine: MachineInfo(), load: load, queries: queries))
        } else {
            print(QueryReport.table(load))
            print()
            print(QueryReport.table(queries))
        }
    }
}

struct QueryReport: Encodable {
    var benchmark = "query"
    var machine: MachineInfo
    var load: LoadResult
    var queries: [QueryBenchResult]

    static func table(_ l: LoadResult) -> String {
        var t = Table(headers: ["load from EDN", "datoms", "MB of EDN", "parse s", "transact s", "datoms/s",
                                "engine B/datom", "peak B/datom", "engine allocs"],
                      rightAligned: [1, 2, 3, 4, 5, 6, 7, 8])
        t.append(["entity maps", Format.grouped(l.datoms), Format.fixed(Double(l.ednBytes) / 1e6, 1),
                  Format.fixed(l.parseSeconds, 2), Format.fixed(l.transactSeconds, 2),
                  Format.grouped(Int(l.datomsPerSecond)), Format.fixed(l.engineBytesPerDatom, 1),
                  Format.fixed(l.engineBytesPeakPerDatom, 1), Format.grouped(Int(l.engineAllocations))])
        return t.render()
    }

    static func table(_ results: [QueryBenchResult]) -> String {
        var t = Table(headers: ["query", "rows", "ms", "fastest ms", "engine ms", "engine peak KiB", "engine allocs",
                                "process allocs"], rightAligned: [1, 2, 3, 4, 5, 6, 7])
        for r in results {
            t.append([r.name, Format.grouped(r.rows), Format.fixed(r.milliseconds, 2), Format.fixed(r.fastestMilliseconds, 2),
                      Format.fixed(r.engineMilliseconds, 2), Format.grouped(Int(r.engineBytesPeak / 1024)),
                      Format.grouped(Int(r.engineAllocations)), Format.grouped(Int(r.processAllocations))])
        }
        return t.render()
    }
}
