import ArgumentParser
import Foundation
import QuarryReport

@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quarry-bench",
        abstract: "Quarry's benchmarks. Build in release mode: swift run -c release quarry-bench.",
        subcommands: [DedupCommand.self, HashCommand.self, QueryCommand.self, OHLCCommand.self, RemoteCommand.self,
                      StoreCommand.self, PreparedCommand.self, RulesCommand.self, WritesCommand.self,
                      NetworkCommand.self],
        defaultSubcommand: DedupCommand.self
    )
}

/// Options every benchmark takes.
struct CommonOptions: ParsableArguments {
    @Flag(name: .long, help: "Print JSON for machines instead of tables.")
    var json = false

    func warnIfDebug() {
        #if DEBUG
        FileHandle.standardError.write(Data("warning: debug build; numbers mean nothing. Use swift run -c release.\n".utf8))
        #endif
    }
}

/// Writes any encodable report as pretty JSON on standard output.
func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// Where the numbers were measured.
struct MachineInfo: Encodable {
    var cores = ProcessInfo.processInfo.activeProcessorCount
    var memoryBytes = ProcessInfo.processInfo.physicalMemory
    var os = ProcessInfo.processInfo.operatingSystemVersionString

    enum CodingKeys: String, CodingKey { case cores, memoryBytes = "memory_bytes", os }
}
