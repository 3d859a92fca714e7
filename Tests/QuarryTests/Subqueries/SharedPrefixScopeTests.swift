import Quarry
import Testing

/// Shared-scan groups belong to one clause list: a subquery elsewhere (in
/// a rule's text) that sits at the same line and column as a grouped one
/// is not a member of its group.
@Suite struct SharedPrefixScopeTests {
    static let query = """
        [:find ?e ?a ?b ?c :in $ % :where [?e :person/age _] \
        [(q [:find (count ?x) . :in $ ?y :where [?x :person/friend ?y] [?y :person/age ?g]] $ ?e) ?a] \
        [(q [:find (max ?g) . :in $ ?y :where [?x :person/friend ?y] [?y :person/age ?g] [?x :person/name _]] $ ?e) ?b] \
        (rr ?e ?c)]
        """

    /// The rule's subquery starts `padding` columns in.
    static func rules(padding: Int) -> String {
        "[[(rr ?e ?c)" + String(repeating: " ", count: padding)
            + "[(q [:find (count ?w) . :in $ ?v :where [?w :person/friend ?v]] $ ?e) ?c]]]"
    }

    @Test func aRuleSubqueryAtAGroupedPositionIsNotInTheGroup() throws {
        let db = try Conformance.database(Datasets.people)
        let column = Self.query.distance(from: Self.query.startIndex, to: Self.query.range(of: "(q [")!.lowerBound) + 1
        // `[[(rr ?e ?c)` is 12 characters, then the padding, then `[`: `(q` starts at 12 + padding + 2.
        let colliding = Self.rules(padding: column - 14)
        #expect(colliding.distance(from: colliding.startIndex, to: colliding.range(of: "(q [")!.lowerBound) + 1 == column)
        let apart = Self.rules(padding: column - 10)
        for mode in SubqueryMode.allCases {
            let options = QueryOptions(subqueries: mode)
            let expected = try db.query(Self.query, inputs: [try EDNReader.readOne(apart)], options: options).rows
            let got = try db.query(Self.query, inputs: [try EDNReader.readOne(colliding)], options: options).rows
            #expect(Set(got) == Set(expected), "\(mode)")
            #expect(!expected.isEmpty)
        }
    }
}
