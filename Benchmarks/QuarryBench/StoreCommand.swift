import ArgumentParser
import Foundation
import QuarryReport

/// `quarry-bench store`: what writes into a SQLite store cost, at two
/// store sizes.
struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Loads and one-datom writes into a SQLite store, at two store sizes."
    )

    @OptionGroup var common: CommonOptions

    @Option(name: .long, help: "Items in the larger store (three datoms each; the smaller holds a tenth).")
    var entities = 20_000

    @Option(name: .long, help: "One-datom writes timed per store (the median and 90th percentile are reported).")
    var writes = 200

    func run() async throws {
        common.warnIfDebug()
        guard entities >= 100, writes >= 1 else { throw ValidationError("--entities must be at least 100, --writes at least 1") }
        let report = try await StoreBenchmark(entities: entities, writes: writes).run()
        if common.json {
            try printJSON(report)
            return
        }
        var t = Table(headers: ["scenario", "datoms in store", "datoms written", "median ms", "p90 ms"],
                      rightAligned: [1, 2, 3, 4])
        for r in report.rows {
            t.append([r.scenario, Format.grouped(r.storeDatoms), Format.grouped(r.datomsWritten),
                      Format.fixed(r.medianMilliseconds, 2), Format.fixed(r.p90Milliseconds, 2)])
        }
        print(t.render())
        print(TargetCheck.table(report.targets))
    }
}
