import Foundation
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

    /// Prepared from the parsed query (no text): the replica interns the
    /// constants it finds walking the query.
    @Test(arguments: cases)
    func withoutTheMaterializer(_ c: ConformanceCase) async throws {
        let db = try Conformance.database(c.data)
        let remote = RemoteDatabase(unmaterialized: db)
        let inputs = try c.inputs.map { QueryInput.edn(try EDNReader.readOne($0)) }
        let prepared = try PreparedQuery(try QueryParser.parse(c.query))
        try Conformance.check(c, try await remote.query(prepared, inputs))
    }

    @Test(arguments: cases)
    func againstSQLite(_ c: ConformanceCase) async throws {
        let remote = RemoteDatabase(materializer: Materializer(source: try await SQLiteFiles.source(for: c.data)))
        let inputs = try c.inputs.map { try EDNReader.readOne($0) }
        try Conformance.check(c, try await remote.query(c.query, inputs: inputs))
    }
}

/// One SQLite file per dataset, loaded once through ``SQLiteSource``.
actor SQLiteFiles {
    static let shared = SQLiteFiles()
    private var sources: [String: SQLiteSource] = [:]

    static func source(for data: String) async throws -> SQLiteSource { try await shared.source(for: data) }

    func source(for data: String) async throws -> SQLiteSource {
        if let s = sources[data] { return s }
        let path = TemporaryFiles.path("conformance-data")
        let s = try SQLiteSource(path: path, mode: .create)
        _ = try await s.transact(EDNReader.readOne(data))
        sources[data] = s
        return s
    }
}
