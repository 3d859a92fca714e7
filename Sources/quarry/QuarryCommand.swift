import ArgumentParser

@main
struct QuarryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quarry",
        abstract: "Quarry: an embeddable Datalog query engine with a C performance core.",
        subcommands: [QueryCommand.self, LoadCommand.self, DemoCommand.self, StatsCommand.self]
    )
}
