import Quarry
import Testing

/// A rule called with the wrong number of arguments is an error however
/// the call would run: a transitive closure read as a graph search once
/// trapped (its arguments were read by position before any check), so
/// every rewrite, subquery mode and entry point is covered.
@Suite("Reliability: a rule call of the wrong arity is an error")
struct RuleArityTests {
    static let closure = "[[(anc ?c ?a) [?c :person/parent ?a]] [(anc ?c ?a) [?c :person/parent ?p] (anc ?p ?a)]]"
    static let rightLinear = "[[(r ?x ?y) [?x :person/parent ?y]] [(r ?x ?y) [?x :person/parent ?z] [?z :person/age _] (r ?z ?y)]]"

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let query: String
        let rules: String
        let message: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        .init(name: "closure rule, one argument (the fuzz finding: ?c and ?a ran together)",
              query: "[:find ?a :in $ % :where [?a :person/name \"Oleg\"] (anc ?c\u{FFFD}?a)]", rules: closure,
              message: "rule anc takes 2 arguments, called with 1 at 1:51"),
        .init(name: "closure rule, three arguments", query: "[:find ?a :in $ % :where [?a :person/name _] (anc ?a ?b ?c)]",
              rules: closure, message: "rule anc takes 2 arguments, called with 3"),
        .init(name: "closure rule, no arguments", query: "[:find ?a :in $ % :where [?a :person/name _] (anc)]",
              rules: closure, message: "rule anc takes 2 arguments, called with 0"),
        .init(name: "closure rule inside a subquery",
              query: "[:find ?e ?y :in $ % :where [?e :person/name _] [(q [:find ?b :in $ % ?a :where (anc ?a)] $ % ?e) [[?y]]]]",
              rules: closure, message: "rule anc takes 2 arguments, called with 1"),
        .init(name: "recursive rule from a constant", query: "[:find ?y :in $ % :where (r 1)]", rules: rightLinear,
              message: "rule r takes 2 arguments, called with 1"),
        .init(name: "a body calling its own rule with one argument", query: "[:find ?y :in $ % :where (anc 1 ?y)]",
              rules: "[[(anc ?x ?y) [?x :person/parent ?y]] [(anc ?x ?y) [?x :person/parent ?z] (anc ?z)]]",
              message: "rule anc takes 2 arguments, called with 1"),
        .init(name: "bodies of different arities", query: "[:find ?y :in $ % :where (anc 1 ?y)]",
              rules: "[[(anc ?x ?y) [?x :person/parent ?y]] [(anc ?x) [?x :person/parent ?z] (anc ?z ?x)]]",
              message: "the bodies of rule anc take different numbers of arguments (1, 2)"),
    ]

    @Test(arguments: cases)
    func everyModeAndEntryPointReportsIt(_ c: Case) throws {
        let db = try Database.load(edn: Datasets.people)
        let rules = try EDNReader.readOne(c.rules)
        func expectError(_ what: String, _ body: () throws -> Void) {
            do {
                try body()
                Issue.record("\(c.name), \(what): no error")
            } catch {
                #expect("\(error)".contains(c.message), "\(c.name), \(what): got \"\(error)\"")
            }
        }
        for mode in SubqueryMode.allCases {
            for explain in [false, true] {
                expectError("\(mode), explain \(explain)") {
                    _ = try db.query(c.query, inputs: [rules], options: QueryOptions(explain: explain, subqueries: mode))
                }
            }
        }
        expectError("prepared") { _ = try db.query(PreparedQuery(c.query), [.edn(rules)]) }
        expectError("cursor") { _ = try db.cursor(PreparedQuery(c.query), [.edn(rules)]).next() }
    }
}
