import ArgumentParser
import Foundation
import Quarry
import QuarryReport

/// `quarry-bench dedup`: dedup throughput of the core against Swift's Set.
struct DedupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dedup",
        abstract: "Dedup throughput for arity-3 Int64 tuples: core table vs Swift Set, and XXH3 cost."
    )

    @OptionGroup var common: CommonOptions

    @Option(name: .long, parsing: .upToNextOption, help: "Insertion counts.")
    var sizes: [Int] = [1_000, 1_000_000, 10_000_000]

    @Option(name: .long, parsing: .upToNextOption, help: "Duplicate percentages.")
    var duplicates: [Int] = [0, 50, 90]

    @Option(name: .long, parsing: .upToNextOption,
            help: "Variants: \(DedupVariant.allCases.map(\.rawValue).joined(separator: ", ")).")
    var variants: [DedupVariant] = DedupVariant.allCases

    @Option(name: .long, help: "Repetitions of each large measurement (the median is reported).")
    var repetitions = 3

    func validate() throws {
        guard sizes.allSatisfy({ $0 > 0 }) else { throw ValidationError("sizes must be positive") }
        guard duplicates.allSatisfy({ (0..<100).contains($0) }) else {
            throw ValidationError("duplicate percentages must be in 0..<100")
        }
        guard repetitions > 0 else { throw ValidationError("repetitions must be positive") }
    }

    func run() throws {
        common.warnIfDebug()
        // Huge-page variants go last, over every workload: the core's arena
        // hands memory it has freed to later tables, and memory once advised
        // huge stays huge, which would flatter the variants measured after.
        let passes = [variants.filter { $0 != .coreHugePages }, variants.filter { $0 == .coreHugePages }]
        var results: [DedupResult] = []
        for pass in passes where !pass.isEmpty {
            for size in sizes {
                for dup in duplicates {
                    let bench = DedupBenchmark(workload: try DedupWorkload(insertions: size, duplicatePercent: dup),
                                               repetitions: repetitions)
                    results += try bench.run(pass)
                }
            }
        }
        let order = Dictionary(uniqueKeysWithValues: variants.enumerated().map { ($1, $0) })
        results.sort { ($0.insertions, $0.duplicatePercent, order[$0.variant]!)
            < ($1.insertions, $1.duplicatePercent, order[$1.variant]!) }
        let hashes = HashBenchmark().run()
        let checks = TargetCheck.evaluate(dedup: results, hashes: hashes)
        if common.json {
            try printJSON(DedupReport(machine: MachineInfo(), dedup: results, hash: hashes, targets: checks))
        } else {
            print(DedupReport.table(results))
            print()
            print(HashBenchmark.table(hashes))
            print()
            print(TargetCheck.table(checks))
        }
    }
}

struct DedupReport: Encodable {
    var benchmark = "dedup"
    var machine: MachineInfo
    var dedup: [DedupResult]
    var hash: [HashResult]
    var targets: [TargetCheck]

    static func table(_ results: [DedupResult]) -> String {
        var t = Table(headers: ["insertions", "dup %", "variant", "ns/tuple", "M tuples/s", "bytes/distinct",
                                "allocs", "x Set reserved"], rightAligned: [0, 1, 3, 4, 5, 6, 7])
        for r in results {
            let baseline = results.first {
                $0.insertions == r.insertions && $0.duplicatePercent == r.duplicatePercent
                    && $0.variant == .swiftSetReserved
            }
            t.append([Format.grouped(r.insertions), "\(r.duplicatePercent)", r.variant.title,
                      Format.fixed(r.nsPerTuple, 1), Format.fixed(r.millionTuplesPerSecond, 1),
                      Format.fixed(r.bytesPerDistinct, 1), Format.grouped(r.allocations),
                      baseline.map { Format.fixed($0.nsPerTuple / r.nsPerTuple, 2) } ?? "-"])
        }
        return t.render()
    }
}
