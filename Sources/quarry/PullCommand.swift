import ArgumentParser
import Foundation
import Quarry

/// `quarry pull --db FILE.edn|FILE.sqlite [--format edn|json] 'PATTERN' ENTITY`.
struct PullCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Print one entity as a pull pattern shapes it."
    )

    @Option(name: .long, help: "A file of EDN transaction data, or a SQLite database made by `quarry load`.")
    var db: String

    @Option(name: .long, help: "Output format: edn or json.")
    var format: String = "edn"

    @Argument(help: "The pull pattern, an EDN vector such as '[:person/name {:person/friend [*]}]'.")
    var pattern: String

    @Argument(help: "The entity: an id (42), an ident (:app/root) or a lookup ref ('[:person/email \"ann@example.com\"]').")
    var entity: String

    func run() async throws {
        do {
            let output = try ValueFormat(option: format)
            let parsedPattern = try PullPattern(pattern)
            let named = try Self.entity(entity)
            let store = try await StoreFile.open(db)
            let database = try await store.database()
            let pulled = Value.map(try database.pull(parsedPattern, entity: named))
            print(output.render(pulled))
        } catch {
            QuarryCommand.printError("\(error)")
            throw ExitCode(1)
        }
    }

    /// The entity argument read as EDN: an integer, a keyword or a two-element vector.
    static func entity(_ text: String) throws -> Value {
        let form: EDN
        do {
            form = try EDNReader.readOne(text, what: "an entity")
        } catch {
            throw QueryError("in the entity: \(error.message)", at: error.position)
        }
        if let items = form.vector, items.count == 2, let attr = items[0].keyword, let v = Value(edn: items[1]) {
            return .tuple([.keyword(attr), v])
        }
        switch form.form {
        case .int(let e) where e >= 0: return .int(e)
        case .keyword(let k): return .keyword(k)
        default:
            throw QueryError("the entity is an id, an ident keyword or a lookup ref [:attr value], found \(text)")
        }
    }
}
