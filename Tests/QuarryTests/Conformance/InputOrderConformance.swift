import Testing

@Suite("Conformance: inputs, order and limit")
struct InputOrderConformance {
    static let cases: [ConformanceCase] = [
        .init("in", "scalar", "[:find ?a :in $ ?n :where [?e :person/name ?n] [?e :person/age ?a]]", inputs: [#""Oleg""#],
              expect: "#{[37]}"),
        .init("in", "collection", "[:find ?a :in $ [?n ...] :where [?e :person/name ?n] [?e :person/age ?a]]",
              inputs: [#"["Ivan" "Anna"]"#], expect: "#{[15] [44] [22]}"),
        .init("in", "tuple", "[:find ?e :in $ [?n ?a] :where [?e :person/name ?n] [?e :person/age ?a]]",
              inputs: [#"["Ivan" 44]"#], expect: "#{[6]}"),
        .init("in", "relation", "[:find ?e :in $ [[?n ?a]] :where [?e :person/name ?n] [?e :person/age ?a]]",
              inputs: [#"[["Ivan" 15] ["Anna" 22] ["Zed" 1]]"#], expect: "#{[1] [4]}"),
        .init("in", "named source", "[:find ?x ?n :in $ $b :where [$b ?x :label ?n]]",
              inputs: [#"[[1 :label "one"] [2 :label "two"]]"#], expect: #"#{[1 "one"] [2 "two"]}"#),
        .init("in", "join across sources", "[:find ?n ?l :in $ $b :where [?e :person/name ?n] [$b ?e :label ?l]]",
              inputs: [#"[[1 :label "x"] [4 :label "Ivan"]]"#], expect: #"#{["Ivan" "x"] ["Anna" "Ivan"]}"#),
        .init("in", "strings equal across sources", "[:find ?e ?x :in $ $b :where [?e :person/name ?n] [$b ?x :alias ?n]]",
              inputs: [#"[[100 :alias "Oleg"]]"#], expect: "#{[3 100]}"),
        .init("in", "no database input", "[:find ?y :in ?x :where [(* ?x 2) ?y]]", inputs: ["21"], expect: "#{[42]}"),
        .init("in", "two scalars", "[:find ?z :in $ ?x ?y :where [(+ ?x ?y) ?z]]", inputs: ["1", "2.5"], expect: "#{[3.5]}"),
        .init("in", "an input used only by a predicate",
              "[:find ?e :in $ ?s :where [?e :person/sex ?x] [(= ?x ?s)]]", inputs: [":female"], expect: "#{[4] [5]}"),
        .init("in", "empty collection input", "[:find ?a :in $ [?n ...] :where [?e :person/name ?n] [?e :person/age ?a]]",
              inputs: ["[]"], expect: "#{}"),
        .init("in", "instant input", "[:find ?e :in $ ?t :where [?e :person/born ?b] [(> ?b ?t)]]",
              inputs: [#"#inst "2000-01-01T00:00:00Z""#], expect: "#{[1]}"),
        .init("order", "ascending with a tie-breaker",
              "[:find ?n ?a :where [?e :person/name ?n] [?e :person/age ?a] :order-by [[?a :asc] [?n :asc]]]",
              expect: #"[["Ivan" 15] ["Anna" 22] ["Oleg" 37] ["Petr" 37] ["Ivan" 44] ["Maria" 61]]"#),
        .init("order", "descending with a limit",
              "[:find ?n ?a :where [?e :person/name ?n] [?e :person/age ?a] :order-by [[?a :desc]] :limit 2]",
              expect: #"[["Maria" 61] ["Ivan" 44]]"#),
        .init("order", "flat order-by form",
              "[:find ?e ?a :where [?e :person/age ?a] :order-by [?a :desc ?e] :limit 3]",
              expect: "[[5 61] [6 44] [2 37]]"),
        .init("order", "order by an aggregate",
              "[:find ?s (count ?e) :where [?e :person/sex ?s] :order-by [[(count ?e) :desc]]]",
              expect: "[[:male 3] [:female 2]]"),
        .init("order", "order of strings", "[:find ?n :where [_ :person/name ?n] :order-by [?n]]",
              expect: #"[["Anna"] ["Ivan"] ["Maria"] ["Oleg"] ["Petr"]]"#),
        .init("order", "limit 0", "[:find ?n :where [_ :person/name ?n] :limit 0]", expect: "#{}"),
    ]

    @Test(arguments: cases)
    func query(_ c: ConformanceCase) throws { try Conformance.run(c) }
}
