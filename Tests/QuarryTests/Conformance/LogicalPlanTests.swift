import Foundation
import Quarry
import Testing

/// EXPLAIN prints the logical plan (each clause with what it needs, binds
/// and owns, and the rewrite chosen) above the operator tree.
@Suite struct LogicalPlanTests {
    private func plan(_ query: String, _ inputs: [String] = []) throws -> String {
        try Conformance.database(Datasets.people)
            .query(query, inputs: inputs.map { try EDNReader.readOne($0) }, options: QueryOptions(explain: true)).plan
    }

    @Test func showsBothPlans() throws {
        let text = try plan("[:find ?n :where [?p :person/name ?n] [?p :person/age ?a] [(> ?a 30)]]")
        let sections = text.components(separatedBy: "\nphysical plan:\n")
        #expect(sections.count == 2 && sections[0].hasPrefix("logical plan:\nfind ?n"))
        #expect(sections[0].contains("[(> ?a 30)]; needs ?a"))
        #expect(sections[1].hasPrefix("FindRows [?n]"))
    }

    @Test func namesWhatNotAndOrJoinAndOwn() throws {
        let text = try plan("""
            [:find ?e :where [?e :person/name _] (not [?e :person/parent ?p] [?p :person/age 61])
             (not-join [?e] [?e :person/friend ?f]) (or-join [?e] [?e :person/age 15] [?e :person/sex :female])]
            """)
        #expect(text.contains("not; joins on ?e; owns ?p"))
        #expect(text.contains("not-join [?e]; joins on ?e; owns ?f"))
        #expect(text.contains("or-join [?e]; joins on ?e"))
        #expect(text.contains("branch 2"))
    }

    @Test func namesTheRewrites() throws {
        let rules = "[[(r ?x ?y) [?x :person/friend ?y]] [(r ?x ?y) [?x :person/friend ?z] (r ?z ?y)]"
            + " [(older ?x) [?x :person/age ?a] [(> ?a 40)]] [(walk ?x ?y) [?x :person/parent ?y]]"
            + " [(walk ?x ?y) [?x :person/parent ?z] (walk ?z ?y) [(some? ?z)]]]"
        let text = try plan("[:find ?y :in $ % :where (r 2 ?y) (older ?y) (walk ?y ?w)]", [rules])
        #expect(text.contains("(r 2 ?y); binds ?y; transitive closure of :person/friend: a graph search"))
        #expect(text.contains("(older ?y); needs ?y; inlined: 1 body"))
        #expect(text.contains("(walk ?y ?w); needs ?y; binds ?w; recursive: semi-naive rounds"))
        let sub = try plan("""
            [:find ?n ?c :where [?p :person/name ?n]
             [(q [:find (count ?f) . :in $ ?x :where [?x :person/friend ?f]] $ ?p) ?c]]
            """)
        #expect(sub.contains("subquery at 2:3 ?c of $ ?p; needs ?p; binds ?c; decorrelated"))
        #expect(sub.contains("    [?x :person/friend ?f _]; binds ?f"))
    }
}
