import Foundation
import Quarry
import Testing

/// One conformance query: a dataset, a query, its inputs, and the expected
/// result written as EDN (a set or vector of tuples for relations, a value
/// or nil for scalars, a vector for collections and tuples). Relations and
/// collections compare as sets unless the query has `:order-by`.
struct ConformanceCase: CustomTestStringConvertible, Sendable {
    let feature: String
    let name: String
    let data: String
    let query: String
    let inputs: [String]
    let expected: String

    init(_ feature: String, _ name: String, data: String = Datasets.people, _ query: String, inputs: [String] = [],
         expect expected: String) {
        self.feature = feature
        self.name = name
        self.data = data
        self.query = query
        self.inputs = inputs
        self.expected = expected
    }

    var testDescription: String { "\(feature): \(name)" }
}

/// An error case: the query (or data) fails with a message containing `message`.
struct ErrorCase: CustomTestStringConvertible, Sendable {
    let name: String
    let data: String
    let query: String
    let inputs: [String]
    let message: String

    init(_ name: String, data: String = Datasets.people, _ query: String, inputs: [String] = [], message: String) {
        self.name = name
        self.data = data
        self.query = query
        self.inputs = inputs
        self.message = message
    }

    var testDescription: String { "error: \(name)" }
}

enum Conformance {
    nonisolated(unsafe) private static var databases: [String: Database] = [:]
    private static let lock = NSLock()

    static func database(_ data: String) throws -> Database {
        lock.lock()
        defer { lock.unlock() }
        if let db = databases[data] { return db }
        let db = try Database.load(edn: data)
        databases[data] = db
        return db
    }

    static func run(_ c: ConformanceCase, options: QueryOptions = QueryOptions()) throws {
        let db = try database(c.data)
        let inputs = try c.inputs.map { try EDNReader.readOne($0) }
        try check(c, try db.query(c.query, inputs: inputs, options: options))
    }

    /// Compares a result with the case's expectation.
    static func check(_ c: ConformanceCase, _ result: QueryResult) throws {
        let expected = try EDNReader.readOne(c.expected)
        let actual = rows(result)
        switch result.shape {
        case .scalar:
            let want = expected.form == .nil ? [] : [[write(expected)]]
            #expect(actual == want, "\(c.testDescription)")
        case .tuple:
            let want = expected.form == .nil ? [] : [expected.sequence!.map(write)]
            #expect(actual == want, "\(c.testDescription)")
        case .collection:
            let want = (expected.sequence ?? setItems(expected)).map { [write($0)] }
            compare(actual, want, ordered: result.ordered, bag: result.isBag, c)
        case .relation:
            let want = (expected.sequence ?? setItems(expected)).map { row -> [String] in
                if let pairs = row.mapPairs { return pairs.map { write($0.value) } }
                return row.sequence!.map(write)
            }
            compare(actual, want, ordered: result.ordered, bag: result.isBag, c)
        }
    }

    static func runError(_ c: ErrorCase) {
        do {
            let db = try database(c.data)
            let inputs = try c.inputs.map { try EDNReader.readOne($0) }
            _ = try db.query(c.query, inputs: inputs)
            Issue.record("\(c.name): expected an error containing \"\(c.message)\"")
        } catch {
            #expect("\(error)".contains(c.message), "\(c.name): got \"\(error)\"")
        }
    }

    private static func setItems(_ e: EDN) -> [EDN] {
        if case .set(let items) = e.form { return items }
        return []
    }

    /// Ordered rows compare in order; a bag as a multiset; a set as a set
    /// whose rows must not repeat.
    private static func compare(_ actual: [[String]], _ want: [[String]], ordered: Bool, bag: Bool, _ c: ConformanceCase) {
        if ordered {
            #expect(actual == want, "\(c.testDescription)")
        } else {
            #expect(actual.sorted { $0.lexicographicallyPrecedes($1) } == want.sorted { $0.lexicographicallyPrecedes($1) },
                    "\(c.testDescription)")
            if !bag { #expect(Set(actual).count == actual.count, "\(c.testDescription): duplicate rows") }
        }
    }

    static func rows(_ r: QueryResult) -> [[String]] { r.rows.map { $0.map(EDNWriter.write) } }

    /// Values written canonically: EDN vectors as tuples, numbers as the engine writes them.
    static func write(_ e: EDN) -> String {
        if let v = Value(edn: e) { return EDNWriter.write(v) }
        // A map (a pulled entity) in the writer's canonical key order.
        if e.mapPairs != nil, let v = try? PullConformance.value(e) { return EDNWriter.write(v) }
        if let items = e.sequence { return "[" + items.map(write).joined(separator: " ") + "]" }
        if case .set(let items) = e.form { return "[" + items.map(write).joined(separator: " ") + "]" }
        return EDNWriter.write(e)
    }
}
