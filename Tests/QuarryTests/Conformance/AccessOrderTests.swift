import Quarry
import Testing

/// The planner counts the order rows arrive in: where the fewest-rows
/// start (customers) would fetch orders in customer order and then look
/// each order's product up at random in a column larger than a cache, it
/// starts from the orders instead, whose columns it then walks in entity
/// order. Small starts (a point query) stay as they were, and the answer
/// never depends on the order.
@Suite struct AccessOrderTests {
    static let customers = 400, products = 400, orders = 40_000

    /// Orders spread over customers and products without a pattern; the
    /// order columns hold 40,000 datoms (1.3 MB), past the planner's cache.
    private static let database: Database = {
        var datoms: [SourceDatom] = []
        let tx = Database.firstTx
        for c in 0..<customers {
            datoms.append(SourceDatom(e: Int64(1 + c), a: Keyword("region"), v: .keyword(Keyword("r\(c % 7)")), tx: tx))
        }
        for p in 0..<products {
            datoms.append(SourceDatom(e: Int64(1 + customers + p), a: Keyword("category"), v: .int(Int64(p % 11)), tx: tx))
        }
        var state: UInt64 = 12345
        for o in 0..<orders {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let e = Int64(1 + customers + products + o)
            datoms.append(SourceDatom(e: e, a: Keyword("order/customer"),
                                      v: .ref(Int64(1 + Int(state >> 33) % customers)), tx: tx))
            datoms.append(SourceDatom(e: e, a: Keyword("order/product"),
                                      v: .ref(Int64(1 + customers + Int(state >> 13) % products)), tx: tx))
        }
        let schema = [Attribute(ident: Keyword("order/customer"), valueType: .ref),
                      Attribute(ident: Keyword("order/product"), valueType: .ref)]
        return try! Database(datoms: datoms, schema: schema)
    }()

    @Test func aJoinStartsWhereItsLookupsWalk() throws {
        let db = Self.database
        let query = """
            [:find ?o ?r ?cat :where [?o :order/customer ?c] [?o :order/product ?p] [?c :region ?r] [?p :category ?cat]]
            """
        let result = try db.query(query, options: QueryOptions(explain: true))
        let plan = result.plan
        #expect(plan.contains("[?o :order/customer ?c _] via AEVT, scanned once"), "\(plan)")
        #expect(plan.contains("[?o :order/product ?p _] via EAVT"), "\(plan)")
        let rows = try db.query(query).rows
        #expect(rows.count == Self.orders)
        // Each order's region and category, as the orders were generated.
        var state: UInt64 = 12345
        var expected: Set<[Value]> = []
        for o in 0..<Self.orders {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let c = Int(state >> 33) % Self.customers, p = Int(state >> 13) % Self.products
            expected.insert([.int(Int64(1 + Self.customers + Self.products + o)), .keyword(Keyword("r\(c % 7)")),
                             .int(Int64(p % 11))])
        }
        #expect(Set(rows) == expected)
    }

    @Test func aSmallStartStands() throws {
        let plan = try Self.database.query("""
            [:find ?o ?p :where [?o :order/product ?p] [?o :order/customer ?c] [?c :region :r3] [?p :category 2]]
            """, options: QueryOptions(explain: true)).plan
        // The products of category 2 (37 of them) come first: fewest rows, and few enough to stand.
        // The first scan printed starts the probe side (a hash join's build side prints after it).
        let start = plan.split(separator: "\n").first { $0.contains("scanned once") }
        #expect(start?.contains("[?p :category 2 _]") == true, "\(plan)")
    }
}

/// Past 8 producers the planner chooses greedily, and the lookahead keeps
/// up to rows' widest (64 columns), with the same answers.
@Suite struct AccessOrderLimitsTests {
    @Test func manyVariablesOrProducersPlanGreedily() throws {
        let db = try Database().transact(EDNReader.readOne("""
            [{:db/id 1 :a 1 :b 2 :c 3} {:db/id 2 :a 1 :b 5 :c 6} {:db/id 3 :a 7 :b 2 :c 3}]
            """))
        let grounds = (0..<58).map { "[(ground \($0)) ?g\($0)]" }.joined(separator: " ")
        let wide = try db.query("[:find ?e ?b :where \(grounds) [?e :a ?a] [?e :b ?b] [?f :a ?a] [?f :c ?c]]").rows
        #expect(Set(wide) == [[.int(1), .int(2)], [.int(2), .int(5)], [.int(3), .int(2)]])
        let patterns = (0..<10).map { "[?e\($0) :a ?x]" }.joined(separator: " ")
        let many = try db.query("[:find ?x (count ?e0) :where \(patterns)]").rows
        #expect(Set(many) == [[.int(1), .int(2)], [.int(7), .int(1)]])
    }
}
