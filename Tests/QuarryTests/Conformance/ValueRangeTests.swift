import Quarry
import Testing

/// Comparisons of a pattern's value with constants become a scan of a
/// range of the attribute's value order. Whatever the values (integers at
/// the ends of their range, doubles of both signs and infinities, NaN,
/// instants, strings) and whatever the comparisons, the answer is the one
/// the comparisons give without the range: the same query with each
/// constant bound through `ground` first, which no range is drawn from.
@Suite struct ValueRangeTests {
    private static let values: [String] = [
        "0", "1", "-1", "42", "-42", "50000", "49999", "50001", "9223372036854775807", "-9223372036854775808",
        "9223372036854775806", "0.0", "-0.0", "2.5", "-2.5", "50000.5", "49999.999", "1e300", "-1e300", "##Inf",
        "##-Inf", "##NaN", "9.3e18", "-9.3e18", "4611686018427387904", "\"text\"", "\"50000\"", ":kw",
        "#inst \"2000-01-01T00:00:00Z\"", "#inst \"1960-06-01T00:00:00Z\"", "#inst \"1969-12-31T23:59:59.999Z\"", "true",
    ]
    private static let constants: [String] = [
        "0", "-1", "50000", "49999.5", "-2.5", "9223372036854775807", "-9223372036854775808", "1e300", "##Inf",
        "##-Inf", "-0.0", "9.3e18", "#inst \"1970-01-01T00:00:00Z\"", "#inst \"1999-01-01T00:00:00Z\"", "\"m\"", "##NaN",
    ]

    private static let database: Database = {
        var tx = "["
        for (i, v) in values.enumerated() {
            // Each value on a few entities, so the ranges cross chunk edges of nothing in particular.
            for copy in 0..<3 { tx += "{:db/id \(1 + i * 3 + copy) :v \(v)}\n" }
        }
        return try! Database().transact(EDNReader.readOne(tx + "]"))
    }()

    @Test func rangeScansAnswerAsTheComparisonsDo() throws {
        var state: UInt64 = 0x5EED
        func next(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(n))
        }
        let ops = ["<", "<=", ">", ">="]
        var ranged = 0
        for round in 0..<150 {
            var direct: [String] = [], grounded: [String] = [], grounds: [String] = []
            for p in 0..<(1 + next(2)) {
                let arity = 2 + next(2), at = next(arity)
                var args: [String] = [], groundArgs: [String] = []
                for i in 0..<arity {
                    if i == at {
                        args.append("?s")
                        groundArgs.append("?s")
                    } else {
                        let c = Self.constants[next(Self.constants.count)]
                        args.append(c)
                        groundArgs.append("?c\(p)_\(i)")
                        grounds.append("[(ground \(c)) ?c\(p)_\(i)]")
                    }
                }
                let op = ops[next(ops.count)]
                direct.append("[(\(op) \(args.joined(separator: " ")))]")
                grounded.append("[(\(op) \(groundArgs.joined(separator: " ")))]")
            }
            let query = "[:find ?e :where [?e :v ?s] \(direct.joined(separator: " "))]"
            let reference = "[:find ?e :where \(grounds.joined(separator: " ")) [?e :v ?s] \(grounded.joined(separator: " "))]"
            let got = try Self.database.query(query, options: QueryOptions(analyze: true))
            let want = try Self.database.query(reference)
            #expect(Set(got.rows) == Set(want.rows), "round \(round): \(query)")
            if got.plan.contains("AVET range") { ranged += 1 }
        }
        // Most rounds compare with numbers or instants only, and read a range.
        #expect(ranged > 50)
    }

    @Test func theRangeIsCountedWhenOrderingClauses() throws {
        var tx = "[{:db/ident :order/customer :db/valueType :db.type/ref}\n"
        for c in 0..<50 { tx += "{:db/id \(1 + c) :customer/name \"c\(c)\"}\n" }
        for o in 0..<2_000 { tx += "{:db/id \(100 + o) :order/customer \(1 + o % 50) :order/amount \(o)}\n" }
        let db = try Database().transact(EDNReader.readOne(tx + "]"))
        let result = try db.query("""
            [:find ?o ?n :where [?o :order/customer ?c] [?c :customer/name ?n] [?o :order/amount ?a] [(>= ?a 1995)]]
            """, options: QueryOptions(analyze: true))
        // Five orders are in the range: fewer than the 50 customers, so the range is where the plan starts.
        let start = result.plan.split(separator: "\n").first { $0.contains("scanned once") }
        #expect(start?.contains("AVET range of (>= ?a 1995)") == true, "\(result.plan)")
        #expect(Set(result.rows) == Set((1995..<2000).map { o -> [Value] in [.int(Int64(100 + o)), .string("c\(o % 50)")] }))
    }
}
