import Foundation
import Quarry
import Testing

/// Transitive-closure rules run as a graph search (`ClosureJoin`): on
/// random graphs with cycles, self-loops, values that are not entities and
/// ids past the dense range, every way of calling them answers what the
/// general fixpoint answers for the same rules written so the search does
/// not apply (an always-true predicate in the recursive body).
@Suite struct ClosureTests {
    /// Edge direction and recursion side: right-linear forward, left-linear
    /// forward, right-linear over reversed edges.
    static let shapes = [
        ("[[(r ?x ?y) [?x :to ?y]] [(r ?x ?y) [?x :to ?z] (r ?z ?y)]]",
         "[[(r ?x ?y) [?x :to ?y]] [(r ?x ?y) [?x :to ?z] (r ?z ?y) [(some? ?z)]]]"),
        ("[[(r ?a ?b) [?a :to ?b]] [(r ?a ?b) (r ?a ?m) [?m :to ?b]]]",
         "[[(r ?a ?b) [?a :to ?b]] [(r ?a ?b) (r ?a ?m) [?m :to ?b] [(some? ?m)]]]"),
        ("[[(r ?x ?y) [?y :to ?x]] [(r ?x ?y) [?z :to ?x] (r ?z ?y)]]",
         "[[(r ?x ?y) [?y :to ?x]] [(r ?x ?y) [?z :to ?x] (r ?z ?y) [(some? ?z)]]]"),
    ]

    static let queries = [
        "[:find ?x ?y :in $ % :where (r ?x ?y)]",
        "[:find ?y :in $ % :where (r 3 ?y)]",
        "[:find ?x :in $ % :where (r ?x 5)]",
        "[:find ?x :in $ % :where (r ?x ?x)]",
        "[:find ?x :in $ % :where (r ?x _)]",
        "[:find ?y :in $ % :where (r _ ?y)]",
        "[:find ?x ?y :in $ % :where [?x :tag :a] (r ?x ?y)]",
        "[:find ?x ?y :in $ % :where [?y :tag :b] (r ?x ?y)]",
        "[:find ?x :in $ % :where [?x :tag _] [?y :tag :b] (r ?x ?y)]",
        "[:find (count ?y) . :in $ % :where (r 1 ?y)]",
        "[:find ?y :in $ % :where (r 1000000 ?y)]",
        "[:find ?x :in $ % :where (r ?x \"s\")]",
    ]

    static func graph(seed: UInt64) -> String {
        var rng = SplitMix(seed: seed)
        let nodes = Int.random(in: 2...12, using: &rng)
        var out = "[{:db/ident :to :db/cardinality :db.cardinality/many}"
        for n in 1...nodes {
            let targets = (0..<Int.random(in: 0...3, using: &rng)).map { _ -> String in
                switch Int.random(in: 0..<10, using: &rng) {
                case 0: return "\"s\""                     // a value that is no entity
                case 1: return "1000000"                   // an id past the dense range
                default: return String(Int.random(in: 1...nodes, using: &rng))
                }
            }
            let tag = [":a", ":b"][Int.random(in: 0...1, using: &rng)]
            out += " {:db/id \(n) :tag \(tag)" + (targets.isEmpty ? "" : " :to [" + targets.joined(separator: " ") + "]") + "}"
        }
        out += " {:db/id 1000000 :to 2}"
        return out + "]"
    }

    @Test(arguments: 0..<40)
    func answersAsTheFixpointDoes(seed: UInt64) throws {
        let db = try Database.load(edn: Self.graph(seed: seed))
        for (search, fixpoint) in Self.shapes {
            for q in Self.queries {
                let a = try db.query(q, inputs: [EDNReader.readOne(search)])
                let b = try db.query(q, inputs: [EDNReader.readOne(fixpoint)])
                #expect(Set(a.rows) == Set(b.rows) && a.rows.count == Set(a.rows).count, "seed \(seed): \(q) with \(search)")
            }
        }
    }

    /// Called on another source, whose strings have other ids than the query's.
    @Test func readsTheCallsSource() throws {
        let main = try Database.load(edn: #"[{:db/id 1 :name "x"}]"#)
        let other = try Database.load(edn: #"[{:db/id 1 :to "s"} {:db/id 2 :to 1} {:db/id 3 :to 2}]"#)
        for (n, (search, fixpoint)) in Self.shapes.enumerated() {
            for q in ["[:find ?x :in $ $b % :where ($b r ?x \"s\")]", "[:find ?x ?y :in $ $b % :where ($b r ?x ?y)]"] {
                let a = try main.query(PreparedQuery(q), [.database(other), .rules(search)]).rows
                let b = try main.query(PreparedQuery(q), [.database(other), .rules(fixpoint)]).rows
                // Over reversed edges nothing leads away from "s", which is no entity.
                #expect(Set(a) == Set(b) && (n == 2 || !a.isEmpty), "\(q) with \(search)")
            }
        }
    }

    @Test func explainNamesTheSearch() throws {
        let db = try Database.load(edn: Self.graph(seed: 1))
        let plan = try db.query("[:find ?y :in $ % :where (r 1 ?y)]", inputs: [EDNReader.readOne(Self.shapes[0].0)],
                                options: QueryOptions(explain: true)).plan
        #expect(plan.contains("ClosureJoin (r ...) as the transitive closure of :to"))
        let general = try db.query("[:find ?y :in $ % :where (r 1 ?y)]", inputs: [EDNReader.readOne(Self.shapes[0].1)],
                                   options: QueryOptions(explain: true)).plan
        #expect(!general.contains("ClosureJoin"))
    }

    /// The closure of a long chain holds millions of pairs: a memory budget stops it.
    @Test func aBudgetStopsIt() throws {
        var data = "[{:db/ident :to :db/valueType :db.type/ref}"
        for n in 1..<3000 { data += " [:db/add \(n) :to \(n + 1)]" }
        let db = try Database.load(edn: data + "]")
        let error = try #require(throws: QueryError.self) {
            try db.query("[:find ?x ?y :in $ % :where (r ?x ?y)]", inputs: [EDNReader.readOne(Self.shapes[0].0)],
                         options: QueryOptions(memoryLimitBytes: 1 << 20))
        }
        #expect(error.exceededBudgetBytes == 1 << 20)
        #expect(try db.query("[:find (count ?y) . :in $ % :where (r 1 ?y)]", inputs: [EDNReader.readOne(Self.shapes[0].0)])
                .rows == [[.int(2999)]])
    }

    /// A remote query runs the general fixpoint over its replica and answers the same.
    @Test func remoteAnswersTheSame() async throws {
        let db = try Database.load(edn: Self.graph(seed: 7))
        let remote = RemoteDatabase(materializer: Materializer(source: db))
        for q in Self.queries {
            let rules = try EDNReader.readOne(Self.shapes[0].0)
            #expect(Set(try await remote.query(q, inputs: [rules]).rows) == Set(try db.query(q, inputs: [rules]).rows), "\(q)")
        }
    }
}
