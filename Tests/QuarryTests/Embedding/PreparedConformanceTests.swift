import Quarry
import Testing

/// The conformance suite through prepared queries: the first run plans
/// and records, the second replays; both give the expected answer.
@Suite struct PreparedConformanceTests {
    @Test(arguments: RemoteConformanceTests.cases)
    func preparedRunsTwice(_ c: ConformanceCase) throws {
        let db = try Conformance.database(c.data)
        let inputs = try c.inputs.map { QueryInput.edn(try EDNReader.readOne($0)) }
        let prepared = try PreparedQuery(c.query)
        try Conformance.check(c, try db.query(prepared, inputs))
        try Conformance.check(c, try db.query(prepared, inputs))
    }
}
