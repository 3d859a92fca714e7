import ArgumentParser
import Foundation
import Quarry
import Synchronization
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
        let bar = ProgressBar()
        do {
            let text = try InputFile.text(file)
            let data = try EDNReader.readOne(text, what: "a vector of transaction data")
            let started = ContinuousClock.now
            let progress: @Sendable (Int, Int) -> Void = { bar.draw(done: $0, total: $1) }
            // A new file appears whole or not at all; an existing one must be a Quarry store.
            let summary: WriteSummary
            if StoreFile.isPostgresURL(into) {
                summary = try await Self.loadPostgres(data, into: into, progress: progress)
            } else if let created = try await SQLiteSource.create(path: into, loading: data, progress: progress) {
                summary = created
            } else {
                summary = try await SQLiteSource(path: into, mode: .readWrite).write(data, progress: progress)
            }
            bar.finish()
            let ms = (ContinuousClock.now - started) / .milliseconds(1)
            print("loaded \(summary.datoms) datoms (\(summary.attributes.count) attributes) into \(into) "
                  + "in \(String(format: "%.0f", ms)) ms")
        } catch {
            bar.finish()
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

/// A one-line progress bar on stderr, redrawn in place when the percentage
/// moves, and only when stderr is a terminal: a log file gets no bar.
final class ProgressBar: Sendable {
    private let shown = Mutex<Int?>(nil)
    let enabled = isatty(STDERR_FILENO) == 1

    func draw(done: Int, total: Int) {
        guard enabled else { return }
        let percent = total <= 0 ? 100 : min(100, max(0, done) * 100 / total)
        let changed = shown.withLock { last in
            defer { last = percent }
            return last != percent
        }
        guard changed else { return }
        let width = 30
        let filled = percent * width / 100
        let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
        FileHandle.standardError.write(Data("\r[\(bar)] \(percent)% \(done)/\(total) datoms".utf8))
    }

    /// Ends the bar's line, when one was drawn.
    func finish() {
        if enabled, shown.withLock({ $0 != nil }) { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
