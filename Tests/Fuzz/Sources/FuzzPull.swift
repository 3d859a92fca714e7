import Foundation
import Quarry

/// Pull patterns on any text, over a database with references, cycles,
/// components and long chains: a map or an error, never a trap. The
/// first line is the pattern, the second the entity (EDN); a pattern that
/// pulls gives the same map through `(pull ?e pattern)` in a query.
enum FuzzPull {
    static let db: Database? = {
        var data = """
            [{:db/ident :friend :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}
             {:db/ident :next :db/valueType :db.type/ref}
             {:db/ident :part :db/valueType :db.type/ref :db/cardinality :db.cardinality/many :db/isComponent true}
             {:db/ident :email :db/unique :db.unique/identity}
             {:db/id 1 :name "a" :email "a@x" :friend [2 3] :tag ["x" "y"] :part [{:name "p1" :part {:name "p2"}}]}
             {:db/id 2 :name "b" :friend [1 3] :next 3}
             {:db/id 3 :name "c" :friend [1] :next 2}
            """
        for i in 100..<400 { data += " {:db/id \(i) :n \(i) :next \(i + 1) :friend [\(i + 1) \(i + 2)]}" }
        return try? Database.load(edn: data + "]")
    }()

    static func run(_ data: Data) {
        guard let db else { return }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
        guard let patternText = lines.first, let patternForm = try? EDNReader.readOne(String(patternText)),
              let pattern = try? PullPattern(edn: patternForm) else { return }
        let entityText = lines.count > 1 ? String(lines[1]) : "1"
        guard let form = try? EDNReader.readOne(entityText) else { return }
        let entity: Value
        if let v = Value(edn: form) {
            entity = v
        } else if let items = form.vector, items.count == 2, let a = items[0].keyword, let v = Value(edn: items[1]) {
            entity = .tuple([.keyword(a), v])
        } else {
            return
        }
        guard let pulled = try? db.pull(pattern, entity: entity), case .int(let e) = entity else { return }
        let query = "[:find (pull ?e \(EDNWriter.write(patternForm))) . :in $ ?e :where [?e]]"
        guard let result = try? db.query(query, inputs: [EDN(.int(e))]) else { return }
        if let row = result.rows.first, row[0] != .map(pulled) {
            fatalError("pull in :find gave \(EDNWriter.write(row[0])), the API \(EDNWriter.write(.map(pulled)))")
        }
    }
}
