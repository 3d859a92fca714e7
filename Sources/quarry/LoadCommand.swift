import ArgumentParser
import Foundation
import Quarry
#if Postgres
import QuarryPostgres
#endif

/// `quarry load FILE.edn --into FILE.sqlite|postgres://USER@HOST:PORT/DB`:
/// transaction data into a SQLite store, or a new PostgreSQL store (its
/// tables made when missing), in one transaction, with a progress bar on
/// stderr.
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Load EDN transaction data into a SQLite database (created when missing) or an empty PostgreSQL database, all or nothing."
    )

    @Argument(help: "A file holding one EDN vector of transaction data.")
    var file: String

    @Option(name: .long, help: "The SQLite database, or the PostgreSQL database (postgres://USER@HOST:PORT/DB), to load into.")
    var into: String

    func run() async throws {
        do {
            let text = try InputFile.text(file)
            let data = try EDNReader.readOne(text, what: "a vector of transaction data")
            let started = ContinuousClock.now
            let progress: @Sendable (Int, Int) -> Void = { ProgressBar.draw(done: $0, total: $1) }
            // A new file appears whole or not at all; an existing one must be a Quarry store.
            let summary: WriteSummary
            if StoreFile.isPostgresURL(into) {
                summary = try await Self.loadPostgres(data, into: into, progress: progress)
            } else if let created = try await SQLiteSource.create(path: into, loading: data, progress: progress) {
                summary = created
            } else {
                summary = try await SQLiteSource(path: into, mode: .readWrite).write(data, progress: progress)
            }
            FileHandle.standardError.write(Data("\n".utf8))
            let ms = (ContinuousClock.now - started) / .milliseconds(1)
            print("loaded \(summary.datoms) datoms (\(summary.attributes.count) attributes) into \(into) "
                  + "in \(String(format: "%.0f", ms)) ms")
        } catch {
            QuarryCommand.printError("\(error) (the database is unchanged)")
            throw ExitCode(1)
        }
    }
}

extension LoadCommand {
    static func loadPostgres(_ data: EDN, into: String, progress: @escaping @Sendable (Int, Int) -> Void) async throws
        -> WriteSummary
    {
        #if Postgres
        return try await PostgresSource(url: try PostgresURL(into)).closing { try await $0.load(data, progress: progress) }
        #else
        throw QueryError("this quarry was built without PostgreSQL (the Postgres trait)")
        #endif
    }
}

/// A one-line progress bar on stderr, redrawn in place.
enum ProgressBar {
    static func draw(done: Int, total: Int) {
        let width = 30
        let filled = total == 0 ? width : done * width / total
        let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
        let percent = total == 0 ? 100 : done * 100 / total
        FileHandle.standardError.write(Data("\r[\(bar)] \(percent)% \(done)/\(total) datoms".utf8))
    }
}
