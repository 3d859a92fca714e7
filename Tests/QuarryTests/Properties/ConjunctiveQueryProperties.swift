import Quarry
import Testing

/// Random small databases and random conjunctive queries (patterns with
/// constants, blanks, repeated and attribute variables, tx positions,
/// collection inputs, comparisons, (in)equalities and a `not` over bound
/// variables): the engine's result set equals the naive reference evaluator's.
@Suite struct ConjunctiveQueryProperties {
    static let queriesPerDatabase = 40

    @Test(arguments: 0..<100)
    func engineMatchesReference(seed: UInt64) throws {
        var rng = SplitMix(seed: 0x5EED_0000 + seed)
        let data = RandomDatabase(using: &rng)
        let db = try Database.load(edn: data.transactionData)
        for n in 0..<Self.queriesPerDatabase {
            let query = RandomQuery(for: data, using: &rng)
            let inputs = try query.input.map { [try EDNReader.readOne($0.edn)] } ?? []
            let expected = ReferenceEvaluator.evaluate(query, over: data)
            let result = try db.query(query.text, inputs: inputs)
            let actual = result.rows
            #expect(Set(actual) == expected,
                    "seed \(seed) query \(n): \(query.text)\ninputs \(query.input?.edn ?? "-")\ndata \(data.transactionData)")
            #expect(Set(actual).count == actual.count, "seed \(seed) query \(n): duplicate rows for \(query.text)")
        }
    }
}
