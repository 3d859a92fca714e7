import Quarry
import Testing

/// The fused lookup-and-aggregate of a decorrelated subquery
/// (`LookupAggregate`): random bars where some lack the attribute, some
/// hold several values, values repeat within and across groups, numbers
/// of both kinds and now and then a string; every mode must give the same
/// rows, or the same error.
@Suite struct LookupAggregateTests {
    static let aggregates = ["count", "sum", "avg", "min", "max"]

    /// An error as its text, so that two modes' errors compare.
    struct Failure: Error, Equatable { let text: String }

    /// Bars of two symbols over a few hours: `:bar/price` (one value, often
    /// missing) and `:bar/tag` (several values). Prices step by halves, so
    /// every sum is exact whatever order it adds in.
    static func randomData(_ rng: inout SplitMix, strings: Bool) -> String {
        var out = "[{:db/ident :bar/symbol :db/valueType :db.type/ref}"
            + " {:db/ident :bar/tag :db/cardinality :db.cardinality/many}"
            + " {:db/id 1 :symbol/ticker \"A\"} {:db/id 2 :symbol/ticker \"B\"}"
        let hours = Int.random(in: 1...4, using: &rng)
        for id in 100..<(100 + Int.random(in: 0...40, using: &rng)) {
            out += " {:db/id \(id) :bar/symbol \(Int.random(in: 1...2, using: &rng)) :bar/hour \(Int.random(in: 0..<hours, using: &rng))"
            if rng.chance(0.7) {
                let half = Int.random(in: -4...8, using: &rng)
                out += " :bar/price " + (strings && rng.chance(0.05) ? "\"n/a\""
                    : half % 2 == 0 && rng.chance(0.5) ? "\(half / 2)" : "\(Double(half) / 2)")
            }
            let tags = (0..<Int.random(in: 0...3, using: &rng)).map { _ in String(Int.random(in: 1...4, using: &rng)) }
            if !tags.isEmpty { out += " :bar/tag [" + tags.joined(separator: " ") + "]" }
            out += "}"
        }
        return out + "]"
    }

    /// A subquery aggregating one attribute per symbol and hour; the
    /// other attribute than `other`'s, if given (the same one would be
    /// part of the scan they share, leaving nothing to look up).
    static func subquery(_ rng: inout SplitMix, results: [String], other: String? = nil) -> String {
        let attribute = other.map { $0.contains(":bar/price") ? ":bar/tag" : ":bar/price" }
            ?? (rng.chance(0.6) ? ":bar/price" : ":bar/tag")
        let finds = results.map { _ in "(\(aggregates.randomElement(using: &rng)!) ?p)" }
        return "[(q [:find \(finds.joined(separator: " ")) :in $ ?sym ?hr :where [?x :bar/symbol ?sym] [?x :bar/hour ?hr]"
            + " [?x \(attribute) ?p]] $ ?s ?hour) [[\(results.joined(separator: " "))]]]"
    }

    @Test(arguments: 0..<32)
    func everyModeAgrees(seed: UInt64) throws {
        var rng = SplitMix(seed: 0x100C_A66E + seed)
        let db = try Database.load(edn: Self.randomData(&rng, strings: seed % 4 == 3))
        var fused = 0
        for _ in 0..<8 {
            // One subquery, or two sharing their leading patterns (a shared scan).
            var clauses = [Self.subquery(&rng, results: ["?a", "?b"])]
            if rng.chance(0.4) { clauses.append(Self.subquery(&rng, results: ["?c"], other: clauses[0])) }
            let results = clauses.count == 1 ? "?a ?b" : "?a ?b ?c"
            let text = "[:find ?t ?hour \(results) :where [?s :symbol/ticker ?t] [?b :bar/symbol ?s] [?b :bar/hour ?hour] "
                + clauses.joined(separator: " ") + "]"
            let outcomes = SubqueryMode.allCases.map { mode in
                Result { Set(try db.query(text, options: QueryOptions(analyze: true, subqueries: mode)).rows) }
                    .mapError { Failure(text: "\($0)") }
            }
            for (mode, outcome) in zip(SubqueryMode.allCases, outcomes) {
                #expect(outcome == outcomes[1], "seed \(seed), \(mode) vs streaming: \(text)")
            }
            if case .success = outcomes[0] {
                let plan = try db.query(text, options: QueryOptions(explain: true, subqueries: .decorrelated)).plan
                fused += plan.components(separatedBy: "LookupAggregate").count - 1
            }
        }
        // The planner chooses the plan by the data's figures; most of these are fused.
        #expect(fused > 0, "seed \(seed): no subquery ran fused")
    }

    /// Groups of doubles, which the core folds in one loop (`LookupFold`):
    /// thousands of bars over several chunks of each attribute, repeats
    /// within a group, -0.0 and 0.0 (one value in the store), NaN (above
    /// every number for min and max), bars without the attribute or with several
    /// values, one group of 300 distinct values (past the loop's first
    /// table) and one with an integer among its doubles (the general
    /// loop's). Every aggregate gives what the streaming mode gives.
    @Test func groupsOfDoublesFoldAsOneByOne() throws {
        var rng = SplitMix(seed: 0xD0_0B1E)
        let pool = ["-1.5", "-0.0", "0.0", "0.5", "1.0", "2.5", "4.0"]
        var data = "[{:db/ident :bar/symbol :db/valueType :db.type/ref}"
            + " {:db/ident :bar/quote :db/cardinality :db.cardinality/many} {:db/id 1 :symbol/ticker \"A\"}"
        var id = 100
        for hour in 0..<150 {
            for b in 0..<(hour == 0 ? 300 : 20) {
                data += " {:db/id \(id) :bar/symbol 1 :bar/hour \(hour)"
                id += 1
                if hour == 0 {
                    data += " :bar/price \(Double(b) / 4) :bar/quote [\(Double(b) / 2)]"
                } else if rng.chance(0.9) {
                    // Hours 10 to 19 hold only zeros of both signs: every value a tie.
                    let zeros = (10..<20).contains(hour)
                    let price = hour % 7 == 3 && b == 5 ? "##NaN" : hour == 5 && b == 2 ? "3"
                        : (zeros ? ["-0.0", "0.0"] : pool).randomElement(using: &rng)!
                    data += " :bar/price \(price)"
                    let quotes = (0..<Int.random(in: 0...2, using: &rng)).map { _ in pool.randomElement(using: &rng)! }
                    if !quotes.isEmpty { data += " :bar/quote [\(quotes.joined(separator: " "))]" }
                }
                data += "}"
            }
        }
        let db = try Database.load(edn: data + "]")
        for (finds, attribute, results) in [("(count ?p) (min ?p) (max ?p)", ":bar/price", "?x ?y ?z"),
                                            ("(sum ?p) (avg ?p) (max ?p)", ":bar/quote", "?x ?y ?z"),
                                            ("(avg ?p) (min ?p)", ":bar/price", "?x ?y")] {
            let text = """
                [:find ?hour \(results) :where [?s :symbol/ticker "A"] [?b :bar/symbol ?s] [?b :bar/hour ?hour]
                 [(q [:find \(finds) :in $ ?sym ?hr :where [?x :bar/symbol ?sym] [?x :bar/hour ?hr]
                      [?x \(attribute) ?p]] $ ?s ?hour) [[\(results)]]]]
                """
            let fused = try db.query(text, options: QueryOptions(analyze: true, subqueries: .decorrelated))
            #expect(fused.plan.contains("LookupAggregate"), "\(finds)")
            let streamed = try db.query(text, options: QueryOptions(subqueries: .streaming))
            // As text: NaN is not equal to itself.
            #expect(Set(fused.rows.map { "\($0)" }) == Set(streamed.rows.map { "\($0)" }), "\(finds) over \(attribute)")
            #expect(fused.rows.count > 100)
        }
    }

    /// A group of many values, some repeated: the set of values a group has
    /// had outgrows its first table and keeps each value once.
    @Test func aLargeGroupCountsEachValueOnce() throws {
        var data = "[{:db/ident :bar/symbol :db/valueType :db.type/ref} {:db/id 1 :symbol/ticker \"A\"}"
        for i in 0..<1_000 { data += " {:db/id \(100 + i) :bar/symbol 1 :bar/hour 0 :bar/price \(i % 300)}" }
        let db = try Database.load(edn: data + "]")
        let text = """
            [:find ?n ?sum ?avg :where [?s :symbol/ticker "A"] [?b :bar/symbol ?s] [?b :bar/hour ?hour]
             [(q [:find (count ?p) (sum ?p) (avg ?p) :in $ ?sym ?hr :where [?x :bar/symbol ?sym] [?x :bar/hour ?hr]
                  [?x :bar/price ?p]] $ ?s ?hour) [[?n ?sum ?avg]]]]
            """
        let result = try db.query(text, options: QueryOptions(analyze: true, subqueries: .decorrelated))
        #expect(result.rows == [[.int(300), .int(44_850), .double(149.5)]])
        #expect(result.plan.contains("LookupAggregate"))
    }

    /// Entities whose values fill more than a chunk of the attribute's
    /// datoms (1,500 of a cardinality-many attribute, around entities of
    /// one value each): every value is folded, across the chunks.
    @Test func anEntityWhoseValuesSpanChunksIsFoldedWhole() throws {
        var data = "[{:db/ident :bar/symbol :db/valueType :db.type/ref}"
            + " {:db/ident :bar/tag :db/cardinality :db.cardinality/many} {:db/id 1 :symbol/ticker \"A\"}"
        for b in 0..<600 {
            let tags = b % 200 == 7 ? (0..<1_500).map(String.init) : [String(b)]
            data += " {:db/id \(100 + b) :bar/symbol 1 :bar/hour \(b / 100) :bar/tag [\(tags.joined(separator: " "))]}"
        }
        let db = try Database.load(edn: data + "]")
        let text = """
            [:find ?hour ?n ?sum ?max :where [?s :symbol/ticker "A"] [?b :bar/symbol ?s] [?b :bar/hour ?hour]
             [(q [:find (count ?t) (sum ?t) (max ?t) :in $ ?sym ?hr :where [?x :bar/symbol ?sym] [?x :bar/hour ?hr]
                  [?x :bar/tag ?t]] $ ?s ?hour) [[?n ?sum ?max]]]]
            """
        let fused = try db.query(text, options: QueryOptions(analyze: true, subqueries: .decorrelated))
        #expect(fused.plan.contains("LookupAggregate"))
        #expect(Set(fused.rows) == Set(try db.query(text, options: QueryOptions(subqueries: .streaming)).rows))
        // Hour 0 holds bar 7 (tags 0 to 1,499) and the tags 0 to 99 of the others, repeats counted once.
        #expect(fused.rows.first { $0[0] == .int(0) } == [.int(0), .int(1_500), .int(1_124_250), .int(1_499)])
    }

    /// An attribute no datom holds, and an entity column holding strings:
    /// no group has a value, so no outer row is left.
    @Test func nothingToLookUpLeavesNoGroup() throws {
        let db = try Database.load(edn: """
            [{:db/ident :bar/symbol :db/valueType :db.type/ref} {:db/id 1 :symbol/ticker "A"}
             {:db/id 100 :bar/symbol 1 :bar/hour 0 :bar/note "x"}]
            """)
        for mode in SubqueryMode.allCases {
            let missing = try db.query("""
                [:find ?hour ?m :where [?s :symbol/ticker "A"] [?b :bar/symbol ?s] [?b :bar/hour ?hour]
                 [(q [:find (max ?p) :in $ ?sym ?hr :where [?x :bar/symbol ?sym] [?x :bar/hour ?hr] [?x :bar/price ?p]]
                     $ ?s ?hour) [[?m]]]]
                """, options: QueryOptions(subqueries: mode))
            #expect(missing.rows.isEmpty, "\(mode)")
            let strings = try db.query("""
                [:find ?hour ?m :where [?s :symbol/ticker "A"] [?b :bar/symbol ?s] [?b :bar/hour ?hour]
                 [(q [:find (count ?p) :in $ ?sym ?hr :where [?x :bar/symbol ?sym] [?x :bar/note ?n] [?n :bar/hour ?p]]
                     $ ?s ?hour) [[?m]]]]
                """, options: QueryOptions(subqueries: mode))
            #expect(strings.rows.isEmpty, "\(mode)")
        }
    }

    /// Under a small memory budget the fused operator stops with the budget
    /// error, as the operators it replaces would.
    @Test func aSmallBudgetStopsIt() throws {
        var data = "[{:db/ident :bar/symbol :db/valueType :db.type/ref} {:db/id 1 :symbol/ticker \"A\"}"
        for i in 0..<20_000 { data += " {:db/id \(100 + i) :bar/symbol 1 :bar/hour 0 :bar/price \(i)}" }
        let db = try Database.load(edn: data + "]")
        let text = """
            [:find ?n :where [?s :symbol/ticker "A"] [?b :bar/symbol ?s] [?b :bar/hour ?hour]
             [(q [:find (count ?p) :in $ ?sym ?hr :where [?x :bar/symbol ?sym] [?x :bar/hour ?hr]
                  [?x :bar/price ?p]] $ ?s ?hour) [[?n]]]]
            """
        #expect(try db.query(text, options: QueryOptions(subqueries: .decorrelated)).rows == [[.int(20_000)]])
        #expect {
            _ = try db.query(text, options: QueryOptions(memoryLimitBytes: 200_000, subqueries: .decorrelated))
        } throws: {
            "\($0)".contains("memory budget of 200000 bytes was exceeded in LookupAggregate")
                && ($0 as? QueryError)?.exceededBudgetBytes == 200_000
        }
    }
}
