import Quarry
import Testing

/// The conformance suite again, with the datoms behind a source: through
/// the materializer and without it, every case gives the local answer.
@Suite struct RemoteConformanceTests {
    static let cases = PatternConformance.cases + AggregateConformance.cases + FunctionConformance.cases
        + InputOrderConformance.cases + LogicConformance.cases + PredicateConformance.cases
        + TransactionConformance.cases + SubqueryConformance.cases

    @Test(arguments: cases)
    func throughTheMaterializer(_ c: ConformanceCase) async throws {
        let db = try Conformance.database(c.data)
        let remote = RemoteDatabase(materializer: Materializer(source: db))
        let inputs = try c.inputs.map { try EDNReader.readOne($0) }
        try Conformance.check(c, try await remote.query(c.query, inputs: inputs))
    }

    @Test(arguments: cases)
    func withoutTheMaterializer(_ c: ConformanceCase) async throws {
        let db = try Conformance.database(c.data)
        let remote = RemoteDatabase(unmaterialized: db)
        let inputs = try c.inputs.map { try EDNReader.readOne($0) }
        try Conformance.check(c, try await remote.query(c.query, inputs: inputs))
    }
}
