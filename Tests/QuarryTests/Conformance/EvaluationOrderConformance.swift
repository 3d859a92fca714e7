import Testing

/// The planner reorders clauses but never rejects, nor answers otherwise,
/// what in-order evaluation (Datomic, DataScript) accepts; and it raises
/// DataScript's errors for clauses in-order evaluation cannot run.
@Suite struct EvaluationOrderConformance {
    static let data = """
    [{:db/ident :parent :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}
     {:db/ident :tag :db/cardinality :db.cardinality/many}
     {:db/id 1 :name "c" :any 1 :age 10 :tag "x"}
     {:db/id 2 :name "c" :any 2.0 :parent 1}
     {:db/id 3 :name "c" :any 3 :age 4 :parent 2}
     {:db/id 4 :name "d" :any 1 :tag "y"}
     {:db/id 5 :name "e" :parent 4}]
    """

    static let cases: [ConformanceCase] = [
        .init("order", "an or whose branches' predicates need a variable bound later", data: data, """
              [:find ?e :where [?e :name "c"] [?e :any ?x]
               (or (and [?e :age _] [(= ?x 1)]) (and [?e :name _] [(= ?x 2.0)]))]
              """, expect: "#{[1] [2]}"),
        .init("order", "the same with or-join", data: data, """
              [:find ?e :where [?e :name "c"] [?e :any ?x]
               (or-join [?e ?x] (and [?e :age _] [(= ?x 1)]) (and [?e :name _] [(= ?x 2.0)]))]
              """, expect: "#{[1] [2]}"),
        .init("order", "a rule call whose body's predicate needs an argument bound", data: data, """
              [:find ?e :in $ % :where [?e :name "c"] [?e :any ?x] (small ?e ?x)]
              """, inputs: ["[[(small ?e ?x) [?e :age _] [(< ?x 2)]]]"], expect: "#{[1]}"),
        .init("order", "two nots with the same local name", data: data, """
              [:find ?e :where [?e :name _] (not [?e :parent ?p] [?p :age 10]) (not [?e :tag ?p])]
              """, expect: "#{[3] [5]}"),
        .init("order", "a nested not reusing another not's local name", data: data, """
              [:find ?e :where [?e :name _] (not [?e :tag ?t]) (not [?e :parent ?p] (not [?p :tag ?t]))]
              """, expect: "#{[2] [5]}"),
        .init("order", "a not's variable bound only later in the text is its own", data: data, """
              [:find ?e ?p :where [?e :name "c"] (not [?e :parent ?p]) [?p :age _]]
              """, expect: "#{[1 1] [1 3]}"),
        .init("order", "a predicate written before its pattern waits for it", data: data, """
              [:find ?e :where [(> ?a 5)] [?e :age ?a]]
              """, expect: "#{[1]}"),
    ]

    @Test(arguments: cases)
    func query(_ c: ConformanceCase) throws { try Conformance.run(c) }

    static let errors: [ErrorCase] = [
        .init("a not sharing no bound variable", data: data, "[:find ?e :where [?e :name _] (not [?x :age 10])]",
              message: "insufficient bindings: none of ?x is bound before this not"),
        .init("a not before what binds its variable", data: data, "[:find ?e :where (not [?e :age 10]) [?e :name _]]",
              message: "insufficient bindings: none of ?e is bound"),
        .init("or branches binding different variables", data: data,
              "[:find ?e :where [?e :name _] (or [?e :age ?a] [?e :any ?x])]",
              message: "or branches must bind the same variables"),
        .init("get-else on a cardinality-many attribute", data: data,
              "[:find ?e ?t :where [?e :name _] [(get-else $ ?e :tag \"none\") ?t]]",
              message: "get-else: :tag is cardinality many"),
    ]

    @Test(arguments: errors)
    func error(_ c: ErrorCase) { Conformance.runError(c) }
}
