import Quarry
import Testing

/// Rules beyond the basics of LogicConformance: sources named at the call,
/// and arguments bound at the call.
@Suite struct RuleConformance {
    static let ancestor = "[[(anc ?x ?y) [?x :edge/to ?y]] [(anc ?x ?y) [?x :edge/to ?z] (anc ?z ?y)]]"
    /// Another graph, given as tuples: 1 -> 7 -> 8.
    static let other = "[[1 :edge/to 7] [7 :edge/to 8]]"

    static let cases: [ConformanceCase] = [
        .init("rule source", "a recursive rule called with a source prefix reads that source", data: Datasets.graph,
              "[:find ?y :in $ $b % :where ($b anc 1 ?y)]", inputs: [other, ancestor], expect: "#{[7] [8]}"),
        .init("rule source", "one rule over two sources in one query", data: Datasets.graph,
              "[:find ?y ?z :in $ $b % :where (anc 3 ?y) ($b anc 7 ?z)]", inputs: [other, ancestor],
              expect: "#{[4 8]}"),
        .init("rule source", "a non-recursive rule called with a source prefix", data: Datasets.graph,
              "[:find ?y :in $ $b % :where ($b step 1 ?y)]", inputs: [other, "[[(step ?x ?y) [?x :edge/to ?y]]]"],
              expect: "#{[7]}"),
    ]

    @Test(arguments: cases)
    func query(_ c: ConformanceCase) throws { try Conformance.run(c) }
}

/// Arguments bound at the call: a recursive rule runs for them only.
@Suite struct BoundRuleConformance {
    static let down = "[[(down ?n ?m) [(> ?n 0)] [(dec ?n) ?m]] [(down ?n ?m) [(> ?n 0)] [(dec ?n) ?k] (down ?k ?m)]]"
    static let ancestor = RuleConformance.ancestor
    /// Paths of at most ?n steps: the bodies need ?n bound.
    static let path = "[[(path ?n ?x ?y) [(> ?n 0)] [?x :edge/to ?y]] "
        + "[(path ?n ?x ?y) [(> ?n 0)] [?x :edge/to ?z] [(dec ?n) ?k] (path ?k ?z ?y)]]"

    static let cases: [ConformanceCase] = [
        .init("bound rule", "a recursive rule whose body needs a bound argument, called with a constant",
              "[:find ?m :in $ % :where (down 3 ?m)]", inputs: [down], expect: "#{[2] [1] [0]}"),
        .init("bound rule", "the same, the argument bound by a variable",
              "[:find ?n ?m :in $ % :where [(ground [2 4]) [?n ...]] (down ?n ?m)]", inputs: [down],
              expect: "#{[2 1] [2 0] [4 3] [4 2] [4 1] [4 0]}"),
        .init("bound rule", "paths of at most n steps from a bound start", data: Datasets.graph,
              "[:find ?y :in $ % :where (path 2 1 ?y)]", inputs: [path], expect: "#{[2] [3] [5]}"),
        .init("bound rule", "paths of at most n steps to a bound end (inner calls bind more)", data: Datasets.graph,
              "[:find ?x :in $ % :where (path 3 ?x 4)]", inputs: [path], expect: "#{[1] [2] [3]}"),
        .init("bound rule", "paths with the bound taken from rows", data: Datasets.graph,
              "[:find ?n ?y :in $ % :where [(ground [1 2]) [?n ...]] (path ?n 2 ?y)]", inputs: [path],
              expect: "#{[1 3] [1 5] [2 3] [2 5] [2 4]}"),
        .init("bound rule", "a recursive rule whose body starts with a subquery on its argument", data: Datasets.graph,
              "[:find ?x ?n :in $ % :where [?x :node/name \"a\"] (r ?x ?n)]",
              inputs: ["[[(r ?x ?n) [(q [:find (count ?z) . :in $ ?a :where [?a :edge/to ?z]] $ ?x) ?n]] "
                       + "[(r ?x ?n) [?x :edge/to ?y] (r ?y ?n)]]"],
              expect: "#{[1 1] [1 2]}"),
        .init("bound rule", "reach from a bound start", data: Datasets.graph,
              "[:find ?y :in $ % :where (anc 2 ?y)]", inputs: [ancestor], expect: "#{[3] [4] [5]}"),
        .init("bound rule", "reach from starts bound by a pattern", data: Datasets.graph,
              "[:find ?n ?y :in $ % :where [?x :node/name ?n] (or [(= ?n \"c\")] [(= ?n \"f\")]) (anc ?x ?y)]",
              inputs: [ancestor], expect: "#{[\"c\" 4] [\"f\" 6]}"),
        .init("bound rule", "reach to a bound end", data: Datasets.graph,
              "[:find ?x :in $ % :where (anc ?x 4)]", inputs: [ancestor], expect: "#{[1] [2] [3]}"),
        .init("bound rule", "both ends bound", data: Datasets.graph,
              "[:find ?x :in $ % :where [(ground [1 5]) [?x ...]] (anc ?x 4)]", inputs: [ancestor], expect: "#{[1]}"),
        .init("bound rule", "the same rule bound and free in one query", data: Datasets.graph,
              "[:find ?y ?c :in $ % :where (anc 3 ?y) [(ground 1) ?c]]", inputs: [ancestor], expect: "#{[4 1]}"),
    ]

    @Test(arguments: cases)
    func query(_ c: ConformanceCase) throws { try Conformance.run(c) }
}

/// Demand that stays with the call (left-linear rules, a bound start).
@Suite struct LeftLinearRuleConformance {
    static let reach = "[[(reach ?x ?y) [?x :edge/to ?y]] [(reach ?x ?y) (reach ?x ?z) [?z :edge/to ?y]]]"

    static let cases: [ConformanceCase] = [
        .init("left-linear", "from a bound start", data: Datasets.graph,
              "[:find ?y :in $ % :where (reach 2 ?y)]", inputs: [reach], expect: "#{[3] [4] [5]}"),
        .init("left-linear", "from starts bound by rows", data: Datasets.graph,
              "[:find ?x ?y :in $ % :where [(ground [3 6]) [?x ...]] (reach ?x ?y)]", inputs: [reach],
              expect: "#{[3 4] [6 6]}"),
        .init("left-linear", "a wrong arity inside is the rule error, not a trap", data: Datasets.graph,
              "[:find ?y :in $ % :where (r 1 ?y)]",
              inputs: ["[[(r ?x ?y) [?x :edge/to ?y]] [(r ?x ?y) (r ?x) [?x :edge/to ?y]]]"], expect: "#{}"),
    ]

    @Test(arguments: Array(cases.prefix(2)))
    func query(_ c: ConformanceCase) throws { try Conformance.run(c) }

    @Test func aWrongArityInsideIsAnError() throws {
        let c = Self.cases[2]
        let db = try Conformance.database(c.data)
        #expect(throws: QueryError.self) { _ = try db.query(c.query, inputs: try c.inputs.map { try EDNReader.readOne($0) }) }
    }
}

/// Right-linear rules from bound arguments, rewritten to ask only for
/// what the start reaches: the same answers as the whole relation gives.
@Suite struct RightLinearRuleConformance {
    static let reach = RuleConformance.ancestor
    /// Reach over two kinds of edge, the second step a constant hop.
    static let twoExits = "[[(r ?x ?y) [?x :edge/to ?y]] [(r ?x ?y) [?x :node/name \"f\"] [(ground 6) ?y]] "
        + "[(r ?x ?y) [?x :edge/to ?t] (r ?t ?y)]]"

    static let cases: [ConformanceCase] = [
        .init("right-linear", "from a bound start", data: Datasets.graph,
              "[:find ?y :in $ % :where (anc 1 ?y)]", inputs: [reach], expect: "#{[2] [3] [4] [5]}"),
        .init("right-linear", "from starts bound by rows", data: Datasets.graph,
              "[:find ?x ?y :in $ % :where [(ground [2 6]) [?x ...]] (anc ?x ?y)]", inputs: [reach],
              expect: "#{[2 3] [2 4] [2 5] [6 6]}"),
        .init("right-linear", "a start that reaches nothing", data: Datasets.graph,
              "[:find ?y :in $ % :where (anc 4 ?y)]", inputs: [reach], expect: "#{}"),
        .init("right-linear", "two exit bodies", data: Datasets.graph,
              "[:find ?y :in $ % :where (r 6 ?y)]", inputs: [twoExits], expect: "#{[6]}"),
        .init("right-linear", "both ends bound", data: Datasets.graph,
              "[:find ?x :in $ % :where [(ground [1 3 5]) [?x ...]] (anc ?x 4)]", inputs: [reach],
              expect: "#{[1] [3]}"),
    ]

    @Test(arguments: cases)
    func query(_ c: ConformanceCase) throws { try Conformance.run(c) }
}
