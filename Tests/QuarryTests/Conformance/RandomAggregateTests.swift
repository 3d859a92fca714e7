import Quarry
import Testing

/// `rand` and `sample` draw at random; a seed in the options repeats a draw.
@Suite struct RandomAggregateTests {
    static let values = "[:find (QUERY) . :where [(ground [1 2 3 4 5 6 7 8]) [?x ...]]]"

    private func draw(_ aggregate: String, seed: UInt64?) throws -> [Int64] {
        let db = try Conformance.database(Datasets.people)
        let text = Self.values.replacingOccurrences(of: "(QUERY)", with: aggregate)
        let rows = try db.query(text, options: QueryOptions(randomSeed: seed)).rows
        guard case .tuple(let items) = rows[0][0] else { return [] }
        return items.map { if case .int(let i) = $0 { i } else { -1 } }
    }

    @Test func sampleDrawsDistinctValuesAtRandom() throws {
        var seen: Set<[Int64]> = []
        for seed in 0..<20 as Range<UInt64> {
            let s = try draw("(sample 3 ?x)", seed: seed)
            #expect(s.count == 3 && Set(s).count == 3 && s.allSatisfy { (1...8).contains($0) })
            seen.insert(s)
        }
        #expect(seen.count > 10, "20 seeds gave \(seen.count) different samples")
        #expect(try draw("(sample 20 ?x)", seed: 1).sorted() == Array(1...8))
    }

    @Test func randDrawsWithRepeatsAtRandom() throws {
        var seen: Set<[Int64]> = []
        for seed in 0..<20 as Range<UInt64> {
            let r = try draw("(rand 12 ?x)", seed: seed)
            #expect(r.count == 12 && r.allSatisfy { (1...8).contains($0) })
            seen.insert(r)
        }
        #expect(seen.count > 10)
    }

    @Test func aSeedRepeatsADraw() throws {
        #expect(try draw("(sample 4 ?x)", seed: 42) == draw("(sample 4 ?x)", seed: 42))
        #expect(try draw("(rand 4 ?x)", seed: 7) == draw("(rand 4 ?x)", seed: 7))
    }

    @Test func randTakesABoundedN() throws {
        let db = try Conformance.database(Datasets.people)
        #expect(throws: QueryError.self) {
            _ = try db.query("[:find (rand 9223372036854775807 ?a) . :where [_ :person/age ?a]]")
        }
    }
}
