import ArgumentParser
import Foundation
import Quarry
#if Postgres
import QuarryPostgres
#endif

/// `quarry transact --db FILE.sqlite|postgres://... [--format edn|json]
/// 'TX-DATA'`: one transaction, committed to a SQLite store (created when
/// nothing is there) or a PostgreSQL store (its tables made when missing).
struct TransactCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transact",
        abstract: "Commit one transaction to a SQLite or PostgreSQL store and print what it did."
    )

    @Option(name: .long, help: "A SQLite store made by `quarry load` or `quarry transact` (created when missing), or a PostgreSQL store (postgres://USER@HOST:PORT/DB).")
    var db: String

    @Option(name: .long, help: "Output format: edn or json.")
    var format: String = "edn"

    @Argument(help: "The transaction data: one EDN vector of entity maps and list forms.")
    var data: String

    func run() async throws {
        do {
            let output = try ValueFormat(option: format)
            let report: TransactionReport
            if StoreFile.isPostgresURL(db) {
                report = try await transactOnPostgres()
            } else {
                if FileManager.default.fileExists(atPath: db), !(try StoreFile.isSQLite(db)) {
                    throw QueryError("\(db) is not a SQLite store: transact writes to one (make it with quarry load FILE.edn --into FILE.sqlite)")
                }
                let form = try EDNReader.readOne(data, what: "a vector of transaction data")
                // Through the store's own write, not a `Connection`: it reads only what the
                // transaction touches, and waits for writers in other processes instead of
                // failing when one wrote since the store was read.
                report = try await SQLiteSource(path: db, mode: .createIfMissing).write(form).report
            }
            let added = report.txData.filter(\.added).count
            var tempids: [Value: Value] = [:]
            for (t, id) in report.tempids { tempids[t] = .int(id) }
            let summary = Value.map([.keyword(Keyword("tx")): .int(report.tx),
                                     .keyword(Keyword("added")): .int(Int64(added)),
                                     .keyword(Keyword("retracted")): .int(Int64(report.txData.count - added)),
                                     .keyword(Keyword("tempids")): .map(tempids)])
            print(output.render(summary))
        } catch {
            QuarryCommand.printError("\(error)")
            throw ExitCode(1)
        }
    }

    /// The transaction committed to the PostgreSQL store at `db`.
    private func transactOnPostgres() async throws -> TransactionReport {
        #if Postgres
        let form = try EDNReader.readOne(data, what: "a vector of transaction data")
        return try await PostgresSource.open(try PostgresURL(db), maxConnections: 1, requireStore: false)
            .closing { try await $0.write(form).report }
        #else
        throw QueryError("this quarry was built without PostgreSQL (the Postgres trait)")
        #endif
    }
}
