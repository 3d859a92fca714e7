import Quarry
import Testing

@Suite("Conformance: errors name what and where")
struct ErrorConformance {
    static let cases: [ErrorCase] = [
        .init("unknown clause", "[:find ?x :wher [?x :a]]", message: "unknown clause :wher at 1:11"),
        .init("unbound variable in a predicate", "[:find ?x\n :where [?x :person/age ?a]\n  [(> ?y 5)]]",
              message: "unbound variable ?y in predicate at 3:7"),
        .init("unknown function", "[:find ?x :where [?x :person/age ?a] [(foo ?a)]]", message: "unknown function foo"),
        .init("malformed EDN", "[:find ?x :where [?x :a]", message: "expected ] to close"),
        .init("unknown aggregate", "[:find (total ?a) :where [_ :person/age ?a]]", message: "unknown aggregate total"),
        .init("find variable never bound", "[:find ?y :where [?x :person/age ?z]]", message: "unbound variable ?y in :find"),
        .init("missing inputs", "[:find ?x :in $ ?x :where [?x :person/age _]]", message: "inputs"),
        .init("too many inputs", "[:find ?x :where [?x :person/age _]]", inputs: ["1"], message: "inputs"),
        .init("division by zero", "[:find ?x :where [(/ 1 0) ?x]]", message: "division by zero"),
        .init("not over unbound variables", "[:find ?x :where (not [?x :person/age 1])]",
              message: "insufficient bindings: none of ?x is bound"),
        .init("or-join branch missing a variable", "[:find ?x :where (or-join [?x] [?y :person/age 1])]",
              message: "does not bind ?x"),
        .init("unknown rule", "[:find ?x :where (friendly ?x)]", message: "unknown rule or function friendly"),
        .init("rule arity", "[:find ?x :in $ % :where (r ?x ?x)]", inputs: ["[[(r ?a) [?a :person/age _]]]"],
              message: "rule r takes 1 argument, called with 2"),
        .init("bad tuple binding", "[:find ?a :where [(ground 1) [?a ?b]]]", message: "cannot bind"),
        .init("order-by outside :find", "[:find ?x :where [?x :person/age ?a] :order-by [[?a :asc]]]",
              message: "order-by ?a is not in :find"),
        .init(":keys count", "[:find ?x ?y :keys a :where [?x :person/age ?y]]", message: ":keys names 1 keys"),
        .init("pull pattern from :in", "[:find (pull ?e ?p) :in $ ?p :where [?e :person/age _]]",
              message: "pull takes a pattern vector, found ?p"),
        .init("pull option", "[:find (pull ?e [[:person/age :limit -1]]) :where [?e :person/age _]]",
              message: ":limit takes a count or nil, found -1"),
        .init("pull in a subquery", "[:find ?m :where [(q [:find (pull ?e [*]) :where [?e :person/age _]] $) ?m]]",
              message: "pull in a nested query is not supported"),
        .init("no :find", "[:where [?e :a ?v]]", message: "query has no :find"),
        .init("empty pattern", "[:find ?e :where []]", message: "empty clause"),
        .init("integer overflow", "[:find ?x :where [(+ 9223372036854775807 1) ?x]]", message: "integer overflow"),
        .init("integer overflow in sum", data: "[{:db/id 1 :n 9223372036854775807} {:db/id 2 :n 1}]",
              "[:find (sum ?v) :with ?e :where [?e :n ?v]]", message: "integer overflow in sum"),
        .init("avg of a non-number", data: "[{:db/id 1 :n 1} {:db/id 2 :n \"two\"}]",
              "[:find (avg ?v) :with ?e :where [?e :n ?v]]", message: "avg of a non-number \"two\""),
        .init("sum of a non-number by group", data: "[{:db/id 1 :k 1 :n 1} {:db/id 2 :k 2 :n :x}]",
              "[:find ?k (sum ?v) :with ?e :where [?e :k ?k] [?e :n ?v]]", message: "sum of a non-number :x"),
        .init("subs out of range", #"[:find ?x :where [(subs "ab" 1 5) ?x]]"#, message: "outside a string"),
        .init("time function on a non-instant", "[:find ?y :where [(year 5) ?y]]", message: "expected an instant"),
        .init("bad :limit", "[:find ?x :where [?x :a] :limit -1]", message: "non-negative integer"),
        .init("unknown source", "[:find ?x :where [$z ?x :a]]", message: "unknown source $z"),
    ]

    @Test(arguments: cases)
    func query(_ c: ErrorCase) { Conformance.runError(c) }

    static let transactionErrors: [(String, String)] = [
        (#"[{:db/ident :email :db/unique :db.unique/value} {:db/id 1 :email "a"} {:db/id 2 :email "a"}]"#, "unique conflict"),
        ("[{:db/ident :n :db/valueType :db.type/long} {:db/id 1 :n \"x\"}]", "is not of type :db.type/long"),
        (#"[{:db/ident :email :db/unique :db.unique/identity} [:db/add [:email "nobody"] :age 1]]"#, "names no entity"),
        ("[{:db/id 1 :a nil}]", "unsupported value nil at 1:15"),
        ("{:db/id 1}", "expected a vector of transaction data"),
        ("[[:db/frob 1 :a 2]]", "unknown transaction operation :db/frob"),
    ]

    @Test(arguments: transactionErrors)
    func transaction(_ c: (String, String)) {
        do {
            _ = try Database.load(edn: c.0)
            Issue.record("expected an error containing \"\(c.1)\"")
        } catch {
            #expect("\(error)".contains(c.1), "got \"\(error)\"")
        }
    }
}
