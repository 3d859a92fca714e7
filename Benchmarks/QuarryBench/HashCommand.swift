import ArgumentParser

/// `quarry-bench hash`: XXH3 cost per key width.
struct HashCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hash", abstract: "XXH3 ns per hash at 8/16/24/32/64 bytes.")

    @OptionGroup var common: CommonOptions

    func run() throws {
        common.warnIfDebug()
        let results = HashBenchmark().run()
        if common.json { try printJSON(results) } else { print(HashBenchmark.table(results)) }
    }
}
