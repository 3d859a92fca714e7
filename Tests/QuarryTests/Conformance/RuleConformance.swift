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
