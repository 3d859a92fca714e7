import ArgumentParser
import Foundation
import Quarry

/// `quarry query --db FILE.edn|FILE.sqlite|postgres://USER@HOST:PORT/DB [--in EDN]... [--format table|edn|json]
/// [--explain] [--analyze] [--stats] [--subqueries MODE] [--memory-limit BYTES]
/// [--simulate-rtt MS [--max-keys N]] [--no-materializer] [--timeout SECONDS] 'QUERY'`.
struct QueryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Run a Datalog query over a database file or a PostgreSQL store."
    )

    @Option(name: .long, help: """
        A file of EDN transaction data, a SQLite database made by `quarry load`, or a PostgreSQL store         (postgres://USER@HOST:PORT/DB); default: $QUARRY_DATABASE_URL.
        """)
    var db: String?

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

    @Option(name: .long, parsing: .unconditional,
            help: "Run against the store behind a simulated network with this round trip (milliseconds, 0 to \(Self.maxRoundTripMilliseconds)).")
    var simulateRtt: Double?

    @Option(name: .long, parsing: .unconditional, help: "With --simulate-rtt: the most keys one request may carry.")
    var maxKeys: Int?

    @Option(name: .long, parsing: .unconditional,
            help: "Stop the query with an error after this many seconds (a positive number).")
    var timeout: Double?

    /// The longest simulated round trip: a minute, so that no flag can make a query sleep for ever.
    static let maxRoundTripMilliseconds = 60_000.0
    /// The longest timeout: a year, in seconds.
    static let maxTimeoutSeconds = 31_536_000.0

    @Flag(name: .long, help: "Send one request per scan, without batching, sharing or caching (for comparison).")
    var noMaterializer = false

    @Argument(help: "The query, in EDN.")
    var query: String

    func run() async throws {
        do {
            guard let format = ResultFormat(rawValue: format) else {
                throw QueryError("unknown format \(self.format) (expected table, edn or json)")
            }
            if maxKeys != nil && simulateRtt == nil { throw QueryError("--max-keys needs --simulate-rtt") }
            if let maxKeys, maxKeys < 1 { throw QueryError("--max-keys must be at least 1") }
            if let rtt = simulateRtt, !(rtt >= 0 && rtt <= Self.maxRoundTripMilliseconds) {
                throw QueryError("--simulate-rtt must be a number of milliseconds from 0 to \(Int(Self.maxRoundTripMilliseconds))")
            }
            if let timeout, !(timeout > 0 && timeout <= Self.maxTimeoutSeconds) {
                throw QueryError("--timeout must be a number of seconds above 0 and at most \(Int(Self.maxTimeoutSeconds))")
            }
            var store = try await StoreFile.open(try StoreFile.name(db))
            let parsedInputs = try inputs.map { input throws -> EDN in
                do {
                    return try EDNReader.readOne(input, what: "an input")
                } catch let error as EDNError {
                    throw QueryError("in --in: \(error.message)", at: error.position)
                }
            }
            let options = QueryOptions(analyze: analyze, explain: explain, memoryLimitBytes: memoryLimit?.bytes,
                                       subqueries: subqueries,
                                       deadline: timeout.map { ContinuousClock.now + .seconds($0) })
            let prepared = try PreparedQuery(query)
            let queryInputs = parsedInputs.map(QueryInput.edn)
            let result: QueryResult
            // Pull reads whole entities: a SQLite file is then queried from an in-memory snapshot.
            if case .sqlite = store, simulateRtt == nil, !noMaterializer,
               prepared.query.find.elements.contains(where: { if case .pull = $0 { true } else { false } }) {
                store = .memory(try await store.database())
            }
            if case .memory(let database) = store, simulateRtt == nil, !noMaterializer {
                result = try database.query(prepared, queryInputs, options: options)
            } else {
                var source = store.source
                if let rtt = simulateRtt {
                    source = LatencySource(wrapping: source, roundTrip: .microseconds(Int64(rtt * 1000)), maxKeys: maxKeys)
                }
                let remote = noMaterializer ? RemoteDatabase(unmaterialized: source)
                    : RemoteDatabase(materializer: Materializer(source: source))
                result = try await remote.query(prepared, queryInputs, options: options)
            }
            await store.close()
            if explain || analyze {
                print(result.plan)
                if explain { return }
            }
            print(format.render(result, stats: stats))
        } catch let error as ExitCode {
            throw error
        } catch let error where timeout != nil && QuarryError(error).kind == .deadline {
            QuarryCommand.printError("the query did not finish within its timeout of \(timeout!) s")
            throw ExitCode(1)
        } catch {
            QuarryCommand.printError("\(error)")
            throw ExitCode(1)
        }
    }
}
