import Quarry
import Testing

/// Subqueries with expected results, each run in every mode: all modes must
/// give the same, expected, rows.
@Suite("Subqueries: every mode, the same results")
struct SubqueryConformance {
    static let ohlc = """
    [{:db/ident :price/symbol :db/valueType :db.type/ref}
     {:db/id 1 :symbol/ticker "AAPL"}
     {:db/id 2 :symbol/ticker "MSFT"}
     {:db/id 10 :price/symbol 1 :price/hour 0 :price/open 100.0 :price/high 102.0}
     {:db/id 11 :price/symbol 1 :price/hour 0 :price/open 101.0 :price/high 104.0}
     {:db/id 12 :price/symbol 1 :price/hour 1 :price/open 102.0 :price/high 103.0}
     {:db/id 13 :price/symbol 2 :price/hour 0 :price/open 50.0 :price/high 51.0}]
    """

    static let cases: [ConformanceCase] = [
        .init("subquery", "aggregate per outer binding, relation binding", data: ohlc, """
              [:find ?t ?hour ?avg :where [?s :symbol/ticker ?t] [?b :price/symbol ?s] [?b :price/hour ?hour]
               [(q [:find (avg ?o) :in $ ?sym ?hr :where [?x :price/symbol ?sym] [?x :price/hour ?hr] [?x :price/open ?o]]
                   $ ?s ?hour) [[?avg]]]]
              """, expect: #"#{["AAPL" 0 100.5] ["AAPL" 1 102.0] ["MSFT" 0 50.0]}"#),
        .init("subquery", "scalar binding of a scalar find", data: ohlc, """
              [:find ?t ?n :where [?s :symbol/ticker ?t]
               [(q [:find (count ?x) . :in $ ?sym :where [?x :price/symbol ?sym]] $ ?s) ?n]]
              """, expect: #"#{["AAPL" 3] ["MSFT" 1]}"#),
        .init("subquery", "collection binding", data: ohlc, """
              [:find ?t ?h :where [?s :symbol/ticker ?t]
               [(q [:find [?hr ...] :in $ ?sym :where [?x :price/symbol ?sym] [?x :price/hour ?hr]] $ ?s) [?h ...]]]
              """, expect: #"#{["AAPL" 0] ["AAPL" 1] ["MSFT" 0]}"#),
        .init("subquery", "tuple binding of exactly one row", data: ohlc, """
              [:find ?t ?lo ?hi :where [?s :symbol/ticker ?t]
               [(q [:find (min ?o) (max ?o) :in $ ?sym :where [?x :price/symbol ?sym] [?x :price/open ?o]] $ ?s)
                [?lo ?hi]]]
              """, expect: #"#{["AAPL" 100.0 102.0] ["MSFT" 50.0 50.0]}"#),
        .init("subquery", "an empty result drops the outer row", data: ohlc, """
              [:find ?t :where [?s :symbol/ticker ?t]
               [(q [:find ?x :in $ ?sym :where [?x :price/symbol ?sym] [?x :price/hour 1]] $ ?s) [[_]]]]
              """, expect: #"#{["AAPL"]}"#),
        .init("subquery", "count of nothing is no row, so the outer row goes", data: ohlc, """
              [:find ?t ?n :where [?s :symbol/ticker ?t]
               [(q [:find (count ?x) :in $ ?sym :where [?x :price/symbol ?sym] [?x :price/hour 1]] $ ?s) [[?n]]]]
              """, expect: #"#{["AAPL" 1]}"#),
        .init("subquery", "a binding variable already bound joins", data: ohlc, """
              [:find ?t ?hour :where [?s :symbol/ticker ?t] [?b :price/symbol ?s] [?b :price/hour ?hour]
               [(q [:find ?hr :in $ ?sym :where [?x :price/symbol ?sym] [?x :price/hour ?hr] [?x :price/high ?h] [(> ?h 102.5)]]
                   $ ?s) [[?hour]]]]
              """, expect: #"#{["AAPL" 0] ["AAPL" 1]}"#),
        .init("subquery", "duplicate outer bindings run once each and join every row", data: ohlc, """
              [:find ?b ?n :where [?b :price/symbol ?s]
               [(q [:find (count ?x) :in $ ?sym :where [?x :price/symbol ?sym]] $ ?s) [[?n]]]]
              """, expect: "#{[10 3] [11 3] [12 3] [13 1]}"),
        .init("subquery", "a constant argument", data: ohlc, """
              [:find ?t ?n :where [?s :symbol/ticker ?t]
               [(q [:find (count ?x) :in $ ?sym ?hr :where [?x :price/symbol ?sym] [?x :price/hour ?hr]] $ ?s 0) [[?n]]]]
              """, expect: #"#{["AAPL" 2] ["MSFT" 1]}"#),
        .init("subquery", "nested subqueries", data: ohlc, """
              [:find ?t ?m :where [?s :symbol/ticker ?t]
               [(q [:find (max ?n) :in $ ?sym :where [?x :price/symbol ?sym] [?x :price/hour ?hr]
                    [(q [:find (count ?y) :in $ ?sym2 ?hr2 :where [?y :price/symbol ?sym2] [?y :price/hour ?hr2]] $ ?sym ?hr)
                     [[?n]]]] $ ?s) [[?m]]]]
              """, expect: #"#{["AAPL" 2] ["MSFT" 1]}"#),
        .init("subquery", "relation input, called with scalars", data: ohlc, """
              [:find ?t ?hr ?n :where [?s :symbol/ticker ?t]
               [(q [:find ?sym ?hr (count ?x) :in $ [[?sym]] :where [?x :price/symbol ?sym] [?x :price/hour ?hr]] $ ?s)
                [[?s ?hr ?n]]]]
              """, expect: #"#{["AAPL" 0 2] ["AAPL" 1 1] ["MSFT" 0 1]}"#),
        .init("subquery", "limit inside the subquery applies per run", data: ohlc, """
              [:find ?t ?o :where [?s :symbol/ticker ?t]
               [(q [:find ?op :in $ ?sym :where [?x :price/symbol ?sym] [?x :price/open ?op] :order-by [[?op :desc]] :limit 1]
                   $ ?s) [[?o]]]]
              """, expect: #"#{["AAPL" 102.0] ["MSFT" 50.0]}"#),
        .init("subquery", "subqueries sharing leading patterns, one after a filter, one sharing fewer", data: ohlc, """
              [:find ?t ?hour ?avg ?hi ?n :where [?s :symbol/ticker ?t] [?b :price/symbol ?s] [?b :price/hour ?hour]
               [(q [:find (avg ?o) :in $ ?sym ?hr :where [?x :price/symbol ?sym] [?x :price/hour ?hr] [?x :price/open ?o]]
                   $ ?s ?hour) [[?avg]]]
               [(> ?avg 60.0)]
               [(q [:find (max ?h) :in $ ?a ?b :where [?y :price/symbol ?a] [?y :price/hour ?b] [?y :price/high ?h]]
                   $ ?s ?hour) [[?hi]]]
               [(q [:find (count ?z) :in $ ?a ?b :where [?z :price/symbol ?a] [?z :price/open ?o2] [(< ?o2 101.5)]]
                   $ ?s ?hour) [[?n]]]]
              """, expect: #"#{["AAPL" 0 100.5 104.0 2] ["AAPL" 1 102.0 103.0 2]}"#),
    ]

    @Test(arguments: cases, SubqueryMode.allCases)
    func conforms(_ c: ConformanceCase, mode: SubqueryMode) throws {
        try Conformance.run(c, options: QueryOptions(subqueries: mode))
    }

    @Test(arguments: SubqueryMode.allCases)
    func tupleBindingOfManyRowsNamesTheSubquery(mode: SubqueryMode) throws {
        let db = try Conformance.database(Self.ohlc)
        #expect {
            _ = try db.query("""
                [:find ?t ?hr :where [?s :symbol/ticker ?t]
                 [(q [:find ?h ?o :in $ ?sym :where [?x :price/symbol ?sym] [?x :price/hour ?h] [?x :price/open ?o]] $ ?s)
                  [?hr ?op]]]
                """, options: QueryOptions(subqueries: mode))
        } throws: { "\($0)".contains("subquery at 2:3 returned 3 rows for a tuple binding") }
    }

    @Test func decorrelatedSubqueriesWithTheSameArgumentsAndPatternsShareOneScan() throws {
        let db = try Conformance.database(Self.ohlc)
        let result = try db.query("""
            [:find ?hour ?lo ?hi :where [?s :symbol/ticker "AAPL"] [?b :price/symbol ?s] [?b :price/hour ?hour]
             [(q [:find (min ?o) :in $ ?sym ?hr :where [?x :price/symbol ?sym] [?x :price/hour ?hr] [?x :price/open ?o]]
                 $ ?s ?hour) [[?lo]]]
             [(q [:find (max ?h) :in $ ?a ?b :where [?y :price/symbol ?a] [?y :price/hour ?b] [?y :price/high ?h]]
                 $ ?s ?hour) [[?hi]]]]
            """, options: QueryOptions(analyze: true, subqueries: .decorrelated))
        #expect(result.rows.count == 2)
        #expect(result.plan.components(separatedBy: "2 of its patterns shared by 2 subqueries").count == 3)
        // The shared patterns are planned, and printed, once.
        #expect(result.plan.components(separatedBy: "PatternJoin [?__p0 :price/hour ?__in1 _]").count == 2)
    }

    /// Arguments already distinct in the outer rows (after the `Distinct`
    /// the planner puts before the subqueries, and after each subquery,
    /// which adds at most one row per outer row) are not deduplicated
    /// again: a second subquery over them adds nothing to the rows
    /// deduplicated, and its answers are the streaming mode's.
    @Test func argumentsAlreadyDistinctAreNotDeduplicatedAgain() throws {
        let db = try Conformance.database(Self.ohlc)
        let subqueries = [
            "[(q [:find (min ?o) :in $ ?sym ?hr :where [?x :price/symbol ?sym] [?x :price/hour ?hr] [?x :price/open ?o]] $ ?s ?hour) [[?lo]]]",
            "[(q [:find (max ?h) :in $ ?sym ?hr :where [?y :price/symbol ?sym] [?y :price/hour ?hr] [?y :price/high ?h]] $ ?s ?hour) [[?hi]]]",
        ]
        func run(_ n: Int, _ mode: SubqueryMode) throws -> QueryResult {
            try db.query("[:find ?hour " + ["?lo", "?hi"].prefix(n).joined(separator: " ")
                         + " :where [?s :symbol/ticker \"AAPL\"] [?b :price/symbol ?s] [?b :price/hour ?hour] "
                         + subqueries.prefix(n).joined(separator: " ") + "]", options: QueryOptions(subqueries: mode))
        }
        let one = try run(1, .decorrelated), two = try run(2, .decorrelated)
        #expect(two.stats.rowsDeduplicated == one.stats.rowsDeduplicated)
        #expect(Set(two.rows) == Set(try run(2, .streaming).rows) && two.rows.count == 2)
    }

    /// A result joined back by position (its rows in the outer rows'
    /// order, one per argument tuple) or, when it holds a tuple the outer
    /// rows no longer have (an earlier subquery dropped the hour without an
    /// open price), by key: every hour that has both prices, and no other.
    @Test func resultsInTheOuterOrderOrNotJoinBackAlike() throws {
        var data = "[{:db/ident :price/symbol :db/valueType :db.type/ref} {:db/id 1 :symbol/ticker \"AAPL\"}"
        for (id, hour) in [(10, 0), (11, 0), (12, 1), (13, 1), (14, 2), (15, 3)] {
            let open = hour == 1 ? "" : " :price/open \(Double(id))"
            data += " {:db/id \(id) :price/symbol 1 :price/hour \(hour)\(open) :price/high \(Double(id) + 0.5)}"
        }
        let db = try Database.load(edn: data + "]")
        let text = """
            [:find ?hour ?lo ?hi :where [?s :symbol/ticker "AAPL"] [?b :price/symbol ?s] [?b :price/hour ?hour]
             [(q [:find (min ?o) :in $ ?sym ?hr :where [?x :price/symbol ?sym] [?x :price/hour ?hr] [?x :price/open ?o]] $ ?s ?hour) [[?lo]]]
             [(q [:find (max ?h) :in $ ?sym ?hr :where [?y :price/symbol ?sym] [?y :price/hour ?hr] [?y :price/high ?h]] $ ?s ?hour) [[?hi]]]]
            """
        let rows = Set(try db.query(text, options: QueryOptions(subqueries: .decorrelated)).rows)
        #expect(rows == [[.int(0), .double(10), .double(11.5)], [.int(2), .double(14), .double(14.5)],
                         [.int(3), .double(15), .double(15.5)]])
        #expect(rows == Set(try db.query(text, options: QueryOptions(subqueries: .streaming)).rows))
    }

    /// Sharing matches patterns up to order and renaming, not text: the
    /// members list their common patterns in other orders, among others.
    @Test func sharingIgnoresTheOrderOfPatterns() throws {
        let db = try Conformance.database(Self.ohlc)
        let query = """
            [:find ?hour ?lo ?hi :where [?s :symbol/ticker "AAPL"] [?b :price/symbol ?s] [?b :price/hour ?hour]
             [(q [:find (min ?o) :in $ ?sym ?hr :where [?x :price/open ?o] [?x :price/symbol ?sym] [?x :price/hour ?hr]]
                 $ ?s ?hour) [[?lo]]]
             [(q [:find (max ?h) :in $ ?a ?b :where [?y :price/hour ?b] [?y :price/high ?h] [?y :price/symbol ?a]]
                 $ ?s ?hour) [[?hi]]]]
            """
        let shared = try db.query(query, options: QueryOptions(analyze: true, subqueries: .decorrelated))
        #expect(shared.plan.components(separatedBy: "2 of its patterns shared by 2 subqueries").count == 3)
        let streamed = try db.query(query, options: QueryOptions(subqueries: .streaming))
        #expect(Set(shared.rows) == Set(streamed.rows) && shared.rows.count == 2)
    }

    @Test(arguments: SubqueryMode.allCases)
    func aggregatesSeeEachValueOncePerOuterBinding(mode: SubqueryMode) throws {
        // Hour 0 repeats an open price across bars, and both hours share one.
        let db = try Conformance.database("""
            [{:db/ident :price/symbol :db/valueType :db.type/ref}
             {:db/id 1 :symbol/ticker "AAPL"}
             {:db/id 10 :price/symbol 1 :price/hour 0 :price/open 100.0}
             {:db/id 11 :price/symbol 1 :price/hour 0 :price/open 100.0}
             {:db/id 12 :price/symbol 1 :price/hour 0 :price/open 103.0}
             {:db/id 13 :price/symbol 1 :price/hour 1 :price/open 100.0}]
            """)
        let result = try db.query("""
            [:find ?hour ?avg ?n :where [?s :symbol/ticker "AAPL"] [?b :price/symbol ?s] [?b :price/hour ?hour]
             [(q [:find (avg ?o) (count ?o) :in $ ?sym ?hr :where [?x :price/symbol ?sym] [?x :price/hour ?hr]
                  [?x :price/open ?o]] $ ?s ?hour) [[?avg ?n]]]]
            """, options: QueryOptions(analyze: true, subqueries: mode))
        #expect(Set(result.rows) == [[.int(0), .double(101.5), .int(2)], [.int(1), .double(100.0), .int(1)]])
        if mode == .decorrelated {
            // Its rows come per outer binding, so only the current one's values are
            // remembered, while the lookup folds them (one operator, no row between).
            #expect(result.plan.contains(
                "LookupAggregate [?x :price/open ?o _] via EAVT, group by [?sym ?hr] as they come, each value once per group"))
        }
    }

    @Test func anErrorInsideASubqueryNamesItsPosition() throws {
        let db = try Conformance.database(Self.ohlc)
        #expect {
            _ = try db.query("""
                [:find ?t ?n :where [?s :symbol/ticker ?t]
                 [(q [:find ?x :in $ ?sym :where [?x :price/symbol ?sym] [(nope ?x)]] $ ?s) [[?n]]]]
                """)
        } throws: { "\($0)".contains("nope") && "\($0)".contains("at 2:") && ($0 as? QueryError)?.exceededBudgetBytes == nil }
    }

    @Test func theMemoryBudgetStopsTheQueryAndTheNextOneRuns() throws {
        let db = try Conformance.database(Self.ohlc)
        let query = """
            [:find ?b ?n :where [?b :price/symbol ?s]
             [(q [:find (count ?x) :in $ ?sym :where [?x :price/symbol ?sym]] $ ?s) [[?n]]]]
            """
        #expect {
            _ = try db.query(query, options: QueryOptions(memoryLimitBytes: 2048, subqueries: .materialized))
        } throws: {
            // Named by the operator that ran out (which one depends on what the plan holds first).
            "\($0)".contains("memory budget of 2048 bytes was exceeded in ")
                && ($0 as? QueryError)?.exceededBudgetBytes == 2048
        }
        #expect(try db.query(query).rows.count == 4)
    }
}
