import ArgumentParser
import Foundation
import Quarry
import QuarryReport

/// `quarry stats [--json]`: the engine's and the process's allocator figures.
struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Print allocator statistics: the engine's own arena and the whole process."
    )

    @Flag(name: .long, help: "Print jemalloc's full JSON dump wrapped with the engine's figures.")
    var json = false

    func run() throws {
        let report = StatsReport.current()
        if json {
            guard let text = report.json() else { throw ValidationError("could not render allocator statistics") }
            print(text)
        } else {
            print(report.table())
        }
    }
}
