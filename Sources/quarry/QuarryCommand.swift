import ArgumentParser
import Foundation

@main
struct QuarryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quarry",
        abstract: "Quarry: an embeddable Datalog query engine with a C performance core.",
        subcommands: [QueryCommand.self, PullCommand.self, TransactCommand.self, LoadCommand.self, DemoCommand.self, StatsCommand.self]
    )

    /// Every failure exits 1 with one line `error: ...` on stderr, flag
    /// errors included (the argument parser's own would exit 64 with the
    /// usage); `--help` and `--version` print as usual and exit 0.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let code as ExitCode {
            // The command printed its own error line.
            Foundation.exit(code.rawValue)
        } catch {
            guard exitCode(for: error) != .success else { exit(withError: error) }
            fail(message(for: error))
        }
    }

    /// Prints `error: message` as one line and exits 1.
    static func fail(_ message: String) -> Never {
        printError(message)
        Foundation.exit(1)
    }

    /// Prints `error: message` on stderr as one line, the form every
    /// failure of the command takes.
    static func printError(_ message: String) {
        let line = message.split(whereSeparator: \.isNewline).joined(separator: " ")
        FileHandle.standardError.write(Data("error: \(line)\n".utf8))
    }
}
