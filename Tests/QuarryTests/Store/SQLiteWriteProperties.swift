import Foundation
import Testing
@testable import Quarry

/// A write to a SQLite store reads only what the transaction touches: it
/// must still make exactly the changes the in-memory store makes over every
/// datom. Random transactions (maps with tempids and upserts, lookup refs,
/// idents, retractions of values, attributes and entities, unique
/// conflicts) go to both, one after another; after each, both hold the same
/// datoms, or both refused it.
@Suite("SQLite writes: the same changes as the in-memory store")
struct SQLiteWriteProperties {
    static let schema = """
        [{:db/ident :p/uid :db/valueType :db.type/string :db/unique :db.unique/identity}
         {:db/ident :p/code :db/valueType :db.type/long :db/unique :db.unique/value}
         {:db/ident :p/tags :db/cardinality :db.cardinality/many}
         {:db/ident :p/friend :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}
         {:db/ident :p/best :db/valueType :db.type/ref}
         {:db/ident :p/color :db/valueType :db.type/ref}
         {:db/ident :p/w :db/valueType :db.type/double}
         {:db/ident :red} {:db/ident :blue}]
        """

    @Test(arguments: 0..<24)
    func randomTransactionsMatchTheInMemoryStore(seed: UInt64) async throws {
        let path = TemporaryFiles.path("prop")
        defer { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + s) } }
        try await Self.check(seed: seed, store: try SQLiteSource(path: path, mode: .create))
    }

    /// Ten random transactions (the first the schema) to `store` and to the
    /// in-memory store: after each, both hold the same datoms and figures,
    /// or both refused it.
    static func check(seed: UInt64, store: some WritableDatomSource) async throws {
        var rng = SplitMix(seed: seed &* 7919 &+ 1)
        let name = store.name
        var memory = try Database()
        for step in 0..<10 {
            let text = step == 0 ? Self.schema : Self.randomTransaction(&rng)
            let data = try EDNReader.readOne(text)
            let expected = Result { try memory.transact(data) }
            let written: Result<WriteSummary, any Error>
            do { written = .success(try await store.transact(data)) } catch { written = .failure(error) }
            switch (expected, written) {
            case (.success(let next), .success):
                memory = next
            case (.failure, .failure):
                break
            case (.success, .failure(let e)):
                Issue.record("seed \(seed) step \(step): \(name) refused what memory took: \(e)\n\(text)")
                return
            case (.failure(let e), .success):
                Issue.record("seed \(seed) step \(step): \(name) took what memory refused (\(e))\n\(text)")
                return
            }
            let all = "[:find ?e ?a ?v ?tx :where [?e ?a ?v ?tx]]"
            let inMemory = Set(try memory.query(all).rows)
            let inFile = Set(try await RemoteDatabase(unmaterialized: store).query(all).rows)
            #expect(inMemory == inFile, "seed \(seed) step \(step):\n\(text)")
            if inMemory != inFile { return }
            // Full scans skip system entities: the schema's datoms and the transactions are compared by attribute.
            for system in ["[:find ?e ?a ?v ?tx :where [?e :db/ident] [?e ?a ?v ?tx]]",
                           "[:find ?tx :where [?tx :db/txInstant]]"] {
                let a = Set(try memory.query(system).rows)
                let b = Set(try await RemoteDatabase(unmaterialized: store).query(system).rows)
                #expect(a == b, "seed \(seed) step \(step): \(system)")
            }
            let userFigures = try await store.describe().figures.filter { $0.key.namespace != "db" }
            #expect(userFigures == Self.figures(of: inMemory).filter { $0.key.namespace != "db" }, "seed \(seed) step \(step)")
        }
    }

    /// Each attribute's datoms, distinct entities and distinct values.
    static func figures(of rows: Set<[Value]>) -> [Keyword: SourceDescription.AttributeFigures] {
        var figures: [Keyword: SourceDescription.AttributeFigures] = [:]
        for (a, group) in Dictionary(grouping: rows, by: { $0[1] }) {
            guard case .keyword(let k) = a else { continue }
            figures[k] = .init(datoms: group.count, distinctEntities: Set(group.map { $0[0] }).count,
                               distinctValues: Set(group.map { $0[2] }).count)
        }
        return figures
    }

    /// One transaction of one to four forms over entities 1...6.
    static func randomTransaction(_ rng: inout SplitMix) -> String {
        var forms: [String] = []
        for _ in 0..<Int.random(in: 1...4, using: &rng) { forms.append(randomForm(&rng)) }
        return "[" + forms.joined(separator: " ") + "]"
    }

    static func randomForm(_ rng: inout SplitMix) -> String {
        func pick(_ xs: [String]) -> String { xs.randomElement(using: &rng)! }
        let id = { (rng: inout SplitMix) in String(Int.random(in: 1...6, using: &rng)) }
        let uid = { (rng: inout SplitMix) in "\"u\(Int.random(in: 0...3, using: &rng))\"" }
        let entity = pick([id(&rng), id(&rng), "[:p/uid \(uid(&rng))]", ":red"])
        let reference = pick([id(&rng), "[:p/uid \(uid(&rng))]", "\"t\(Int.random(in: 0...1, using: &rng))\""])
        let attributes: [(String, String)] = [
            (":p/uid", uid(&rng)), (":p/code", String(Int.random(in: 0...3, using: &rng))),
            (":p/n", String(Int.random(in: 0...3, using: &rng))), (":p/tags", pick(["\"a\"", "\"b\"", "[\"a\" \"c\"]"])),
            (":p/friend", reference), (":p/best", reference), (":p/color", pick([":red", ":blue"])),
            (":p/w", pick(["1", "2.5"])),
        ]
        switch Int.random(in: 0..<10, using: &rng) {
        case 0...3:
            let head = pick(["", ":db/id \(id(&rng))", ":db/id \"t\(Int.random(in: 0...1, using: &rng))\""])
            let body = attributes.shuffled(using: &rng).prefix(Int.random(in: 1...3, using: &rng))
                .filter { !$0.1.hasPrefix("\"t") || !head.isEmpty }
                .map { "\($0.0) \($0.1)" }
            return "{\(head) \(body.joined(separator: " "))}"
        case 4...5:
            let (a, v) = attributes.randomElement(using: &rng)!
            guard !v.hasPrefix("[\""), !v.hasPrefix("\"t") else { return "[:db/add \(entity) :p/n 1]" }
            return "[:db/add \(entity) \(a) \(v)]"
        case 6...7:
            let (a, v) = attributes.randomElement(using: &rng)!
            guard !v.hasPrefix("[\""), !v.hasPrefix("\"t") else { return "[:db/retract \(entity) \(a)]" }
            return "[:db/retract \(entity) \(a) \(v)]"
        case 8:
            return "[:db/retract \(entity) \(attributes.randomElement(using: &rng)!.0)]"
        default:
            return "[:db/retractEntity \(entity)]"
        }
    }
}
