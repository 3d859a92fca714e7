import Quarry
import Testing

/// A shared scan whose patterns the outer query has evaluated already
/// reads the outer rows instead (`OuterRows`), when they come grouped by
/// the subqueries' arguments; otherwise, or when the outer patterns are
/// not exactly the scan's, it runs its own plan. Every case must answer as
/// the streaming mode does, which runs each subquery on its own.
@Suite struct SharedScanOuterRowsTests {
    /// Two symbols, three hours, four bars an hour; bar ids in symbol and
    /// hour order, or shuffled so that an hour's bars are spread out.
    static func bars(shuffled: Bool) -> String {
        var ids = Array(100..<124)
        if shuffled {
            var rng = SplitMix(seed: 0x0B57_0C4D)
            ids.shuffle(using: &rng)
        }
        var out = "[{:db/ident :price/symbol :db/valueType :db.type/ref} {:db/ident :symbol/alias :db/cardinality :db.cardinality/many}"
            + " {:db/id 1 :symbol/ticker \"A\" :symbol/alias [\"a\" \"alpha\"]} {:db/id 2 :symbol/ticker \"B\"}"
        for (n, id) in ids.enumerated() {
            let (symbol, hour, bar) = (1 + n / 12, n / 4 % 3, n % 4)
            let open = 10.0 * Double(symbol) + Double(hour) + 0.25 * Double(bar)
            out += " {:db/id \(id) :price/symbol \(symbol) :price/hour \(hour) :price/open \(open) :price/high \(open + 1)}"
        }
        return out + "]"
    }

    static let subqueries = """
        [(q [:find (avg ?o) :in $ ?sym ?hr :where [?x :price/symbol ?sym] [?x :price/hour ?hr] [?x :price/open ?o]] $ ?s ?hour) [[?o]]]
        [(q [:find (max ?h) :in $ ?sym ?hr :where [?y :price/hour ?hr] [?y :price/symbol ?sym] [?y :price/high ?h]] $ ?s ?hour) [[?h]]]
        """

    static func query(_ outer: String) -> String { "[:find ?t ?hour ?o ?h :where \(outer) \(subqueries)]" }

    /// The rows in decorrelated mode, checked against streaming, and the plan they ran by.
    static func run(_ db: Database, _ text: String) throws -> (rows: Set<ResultRow>, plan: String) {
        let fused = try db.query(text, options: QueryOptions(analyze: true, subqueries: .decorrelated))
        let alone = try db.query(text, options: QueryOptions(subqueries: .streaming))
        #expect(Set(fused.rows) == Set(alone.rows), "\(text)")
        return (Set(fused.rows), fused.plan)
    }

    @Test func groupedOuterRowsServeTheSharedScan() throws {
        let db = try Database.load(edn: Self.bars(shuffled: false))
        let (rows, plan) = try Self.run(db, Self.query("[?s :symbol/ticker ?t] [?b :price/symbol ?s] [?b :price/hour ?hour]"))
        #expect(rows.count == 6)
        #expect(rows.contains([.string("B"), .int(2), .double(22.375), .double(23.75)]))
        #expect(plan.contains("or the outer rows when they come grouped"))
        #expect(Self.sharedRows(plan) == 0)
    }

    /// Shuffled bars come out of group: the scan runs its plan, whether the
    /// outer rows' `Distinct` projects to exactly the arguments (and checks
    /// the grouping as it removes repeats) or to more columns (the rows
    /// then check it themselves).
    @Test func outerRowsOutOfGroupLeaveTheScanToItsPlan() throws {
        let db = try Database.load(edn: Self.bars(shuffled: true))
        let (rows, plan) = try Self.run(db, Self.query("[?s :symbol/ticker ?t] [?b :price/symbol ?s] [?b :price/hour ?hour]"))
        #expect(rows.count == 6)
        #expect(plan.contains("or the outer rows when they come grouped") && plan.contains("Distinct [?s ?t ?hour]"))
        #expect(Self.sharedRows(plan) == 24)
        let exact = try Self.run(db, "[:find ?hour ?o ?h :where [?s :symbol/ticker \"B\"] [?b :price/symbol ?s] [?b :price/hour ?hour] "
                                     + Self.subqueries + "]")
        #expect(exact.rows.count == 3 && exact.plan.contains("Distinct [?s ?hour]"))
        #expect(Self.sharedRows(exact.plan) == 12)
        let grouped = try Self.run(try Database.load(edn: Self.bars(shuffled: false)),
                                   "[:find ?hour ?o ?h :where [?s :symbol/ticker \"B\"] [?b :price/symbol ?s] [?b :price/hour ?hour] "
                                   + Self.subqueries + "]")
        #expect(grouped.rows == exact.rows && Self.sharedRows(grouped.plan) == 0)
    }

    /// Outer rows that are not the scan's own: a clause restricts the bar,
    /// another multiplies the rows (a symbol's two aliases), or the hour
    /// pattern is missing from the outer query.
    @Test(arguments: [
        "[?s :symbol/ticker ?t] [?b :price/symbol ?s] [?b :price/hour ?hour] [?b :price/open ?p] [(> ?p 21)]",
        "[?s :symbol/ticker ?t] [?s :symbol/alias ?al] [?b :price/symbol ?s] [?b :price/hour ?hour]",
        "[?s :symbol/ticker ?t] [?b :price/symbol ?s] [?c :price/symbol ?s] [?c :price/hour ?hour]",
        "[?s :symbol/ticker ?t] [?b :price/symbol ?s] [?b :price/open ?hour]",
    ])
    func otherOuterRowsLeaveTheScanToItsPlan(outer: String) throws {
        for shuffled in [false, true] {
            let db = try Database.load(edn: Self.bars(shuffled: shuffled))
            #expect(!(try Self.run(db, Self.query(outer)).plan.contains("or the outer rows")))
        }
    }

    /// A bar bound as the clause list begins (the input of a subquery run
    /// per bar): the outer rows hold only that bar, the subqueries every
    /// bar of its symbol and hour.
    @Test func aBarBoundOnEntryLeavesTheScanToItsPlan() throws {
        let db = try Database.load(edn: Self.bars(shuffled: false))
        let text = """
            [:find ?bar ?o ?h :where [?bar :price/hour 0] [?bar :price/symbol 1]
             [(q [:find ?hour ?o ?h :in $ ?b :where [?b :price/symbol ?s] [?b :price/hour ?hour] [?s :symbol/ticker ?t]
                  \(Self.subqueries) :limit 3] $ ?bar) [[_ ?o ?h]]]]
            """
        let rows = try db.query(text, options: QueryOptions(subqueries: .auto)).rows
        // Every bar of symbol A's hour 0 sees the four bars' average and high.
        #expect(Set(rows) == Set((100..<104).map { [.int($0), .double(10.375), .double(11.75)] as [Value] }))
        #expect(Set(rows) == Set(try db.query(text, options: QueryOptions(subqueries: .streaming)).rows))
    }

    /// The clause list run again per outer binding (its subquery is not
    /// decorrelated: `:limit` applies per run): every run keeps its own
    /// outer rows.
    @Test func aClauseListRunAgainKeepsEachRunsOwnRows() throws {
        let db = try Database.load(edn: Self.bars(shuffled: false))
        let text = """
            [:find ?t ?n :where [?s :symbol/ticker ?t]
             [(q [:find ?hour ?o ?h :in $ ?s :where [?b :price/symbol ?s] [?b :price/hour ?hour] \(Self.subqueries) :limit 5]
                 $ ?s) [[?n _ _]]]]
            """
        let result = try db.query(text, options: QueryOptions(analyze: true, subqueries: .auto))
        #expect(Self.sharedRows(result.plan) == 0)
        let rows = result.rows
        #expect(Set(rows) == [[.string("A"), .int(0)], [.string("A"), .int(1)], [.string("A"), .int(2)],
                              [.string("B"), .int(0)], [.string("B"), .int(1)], [.string("B"), .int(2)]])
        #expect(Set(rows) == Set(try db.query(text, options: QueryOptions(subqueries: .streaming)).rows))
    }

    /// The rows the shared patterns' own plan found, from EXPLAIN ANALYZE.
    static func sharedRows(_ plan: String) -> Int? {
        guard let line = plan.split(separator: "\n").first(where: { $0.contains("RelationScan all distinct outer bindings") }),
              let range = line.range(of: "actual rows ") else { return nil }
        let digits = line[range.upperBound...].prefix { $0.isNumber }
        // The scan's input: its tuples; 0 when the outer rows served.
        return Int(digits).map { $0 == 0 ? 0 : Self.patternRows(plan) }
    }

    /// The rows of the shared plan's last pattern join.
    static func patternRows(_ plan: String) -> Int {
        let line = plan.split(separator: "\n").first { $0.contains("PatternJoin [?__p0") }!
        let after = line[line.range(of: "actual rows ")!.upperBound...]
        return Int(after.prefix { $0.isNumber })!
    }
}
