import ArgumentParser
import Foundation
import Quarry

/// `quarry transact --db FILE.sqlite [--format edn|json] 'TX-DATA'`: one
/// transaction, committed to a SQLite store (created when nothing is there).
struct TransactCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transact",
        abstract: "Commit one transaction to a SQLite store and print what it did."
    )

    @Option(name: .long, help: "A SQLite store made by `quarry load` or `quarry transact` (created when missing).")
    var db: String

    @Option(name: .long, help: "Output format: edn or json.")
    var format: String = "edn"

    @Argument(help: "The transaction data: one EDN vector of entity maps and list forms.")
    var data: String

    func run() async throws {
        do {
            let output = try ValueFormat(option: format)
            if StoreFile.isPostgresURL(db) {
                throw QueryError("transact writes to SQLite stores; a PostgreSQL store is made whole with quarry load FILE.edn --into \(db)")
            }
            if FileManager.default.fileExists(atPath: db), !(try StoreFile.isSQLite(db)) {
                throw QueryError("\(db) is not a SQLite store: transact writes to one (make it with quarry load FILE.edn --into FILE.sqlite)")
            }
            let form = try EDNReader.readOne(data, what: "a vector of transaction data")
            let connection = try await Connection.open(path: db)
            let report = try await connection.transact(form)
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
}
