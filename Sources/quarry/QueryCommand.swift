import ArgumentParser
import Foundation
import Quarry

/// `quarry query --db FILE.edn [--in EDN]... [--format table|edn|json]
/// [--explain] [--analyze] [--stats] [--subqueries MODE] [--memory-limit BYTES] 'QUERY'`.
struct QueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Run a Datalog query over a database file."
    )

    @Option(name: .long, help: "A file holding one EDN vector of transaction data.")
    var db: String

    @Option(name: .customLong("in"), help: "An input of the query after $, as EDN; repeat in :in order.")
    var inputs: [String] = []

    @Option(name: .long, help: "Output format: table, edn or json.")
    var format: String = "table"

    @Flag(name: .long, help: "Print the plan instead of running the query.")
    var explain = false

    @Flag(name: .long, help: "Run the query and print the plan with actual rows and bytes per operator.")
    var analyze = false

    @Flag(name: .long, help: "Print execution time, rows per operator and engine memory.")
    var stats = false

    @Option(name: .long, help: "How correlated subqueries run: materialized, streaming, decorrelated or auto.")
    var subqueries: SubqueryMode = .auto

    @Option(name: .long, help: "Stop the query when its engine memory passes this budget (bytes; K, M, G suffixes).")
    var memoryLimit: ByteCount?

    @Argument(help: "The query, in EDN.")
    var query: String

    func run() throws {
        do {
            guard let format = ResultFormat(rawValue: format) else {
                throw QueryError("unknown format \(self.format) (expected table, edn or json)")
            }
            let text: String
            do {
                text = try String(contentsOfFile: db, encoding: .utf8)
            } catch {
                throw QueryError("cannot read \(db): \(error.localizedDescription)")
            }
            let database = try Database.load(edn: text)
            let parsedInputs = try inputs.map { input throws -> EDN in
                do {
                    return try EDNReader.readOne(input, what: "an input")
                } catch let error as EDNError {
                    throw QueryError("in --in: \(error.message)", at: error.position)
                }
            }
            let result = try database.query(query, inputs: parsedInputs, options: QueryOptions(analyze: analyze, explain: explain, memoryLimitBytes: memoryLimit?.bytes,
                                                                                             subqueries: subqueries))
            if explain || analyze {
                print(result.plan)
                if explain { return }
            }
            print(format.render(result, stats: stats))
        } catch let error as ExitCode {
            throw error
        } catch {
            let message = "\(error)".replacingOccurrences(of: "\n", with: " ")
            FileHandle.standardError.write(Data("error: \(message)\n".utf8))
            throw ExitCode(1)
        }
    }
}
