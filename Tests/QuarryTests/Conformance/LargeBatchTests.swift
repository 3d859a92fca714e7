import Quarry
import Testing

/// Pattern joins hand out bounded batches and resume where they stopped:
/// one input row that matches more datoms than a batch holds, and a
/// Cartesian product larger than a batch, lose and repeat nothing.
@Suite("Joins larger than a batch")
struct LargeBatchTests {
    static let data: String = {
        var out = "[{:db/ident :node/parent :db/valueType :db.type/ref}\n {:db/id 1 :node/name \"root\"}\n"
        for i in 0..<3000 { out += " {:db/id \(i + 2) :node/parent 1 :node/rank \(i)}\n" }
        for i in 0..<60 { out += " {:db/id \(i + 10_000) :left/n \(i)} {:db/id \(i + 20_000) :right/n \(i)}\n" }
        return out + "]"
    }()

    @Test func oneRowMatchingThousandsOfDatoms() throws {
        let db = try Database.load(edn: Self.data)
        let r = try db.query("[:find ?c ?rank :where [?p :node/name \"root\"] [?c :node/parent ?p] [?c :node/rank ?rank]]")
        #expect(r.rows.count == 3000)
        #expect(Set(r.rows.map { "\($0[1])" }).count == 3000)
    }

    @Test func aCartesianProductLargerThanABatch() throws {
        let db = try Database.load(edn: Self.data)
        let r = try db.query("[:find ?a ?b :where [_ :left/n ?a] [_ :right/n ?b]]")
        #expect(r.rows.count == 3600)
        #expect(Set(r.rows.map { "\($0[0]) \($0[1])" }).count == 3600)
    }
}
