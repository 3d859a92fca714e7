import Quarry
import Testing

/// Random queries over the whole language (see ``RandomProgram``) on random
/// databases: in every subquery mode, the engine's rows equal the
/// reference evaluator's as multisets — each mode against the reference,
/// not against another mode.
@Suite struct LanguageProperties {
    static let queriesPerDatabase = 15

    @Test(arguments: 0..<60)
    func everyModeMatchesReference(seed: UInt64) throws {
        var rng = SplitMix(seed: 0x1A46_0000 + seed)
        let data = RandomDatabase(using: &rng, facts: 10...40)
        let db = try Database.load(edn: data.transactionData)
        for n in 0..<Self.queriesPerDatabase {
            let generator = RandomProgram.Generator(rng: SplitMix(seed: rng.next()), db: data)
            let program = generator.program()
            let expected = ProgramEvaluator(db: data, rules: program.rules).rows(program)
            let inputs = try program.inputTexts.map { try EDNReader.readOne($0) }
            for mode in SubqueryMode.allCases {
                let context = "seed \(seed) query \(n) \(mode): \(program.text)\ninputs \(program.inputTexts)\ndata \(data.transactionData)"
                let result: QueryResult
                do {
                    result = try db.query(program.text, inputs: inputs, options: QueryOptions(subqueries: mode))
                } catch {
                    Issue.record("\(error)\n\(context)")
                    continue
                }
                #expect(Self.multiset(result.rows.arrays) == Self.multiset(expected), "\(context)\ngot \(result.rows)\nwant \(expected)")
            }
        }
    }

    /// Rows with their counts, in a form that compares regardless of order.
    static func multiset(_ rows: [[Value]]) -> [String: Int] {
        rows.reduce(into: [:]) { $0[$1.map(EDNWriter.write).joined(separator: " "), default: 0] += 1 }
    }
}

/// The generator reaches every feature, and enough of its queries return
/// rows for the comparison above to mean something.
@Suite struct LanguageGeneratorCoverage {
    @Test func everyFeatureAndNonEmptyResults() throws {
        var nonEmpty = 0, total = 0
        var features: [String: Int] = [:]
        let names = ["(not ", "(not-join", "(or ", "(or-join", "(and", "(q ", "reach", "(odd", "lonely", "(sum", "(avg",
                     "(count", ":with", "quot", "[(q [:find (max", ". :in", "...] :in $ ?"]
        for s in 0..<60 {
            var r = SplitMix(seed: 0x1A46_0000 + UInt64(s))
            let data = RandomDatabase(using: &r, facts: 10...40)
            for _ in 0..<LanguageProperties.queriesPerDatabase {
                let program = RandomProgram.Generator(rng: SplitMix(seed: r.next()), db: data).program()
                total += 1
                if !ProgramEvaluator(db: data, rules: program.rules).rows(program).isEmpty { nonEmpty += 1 }
                for f in names where program.text.contains(f) || program.inputTexts.joined().contains(f) {
                    features[f, default: 0] += 1
                }
            }
        }
        #expect(nonEmpty * 4 >= total, "only \(nonEmpty) of \(total) queries return rows")
        for f in names { #expect(features[f, default: 0] >= 10, "\(f) in \(features[f, default: 0]) queries") }
    }
}
