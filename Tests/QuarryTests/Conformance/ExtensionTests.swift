import Quarry
import Testing

/// Functions, predicates and aggregates registered from Swift.
@Suite struct ExtensionTests {
    struct Failure: Error, CustomStringConvertible {
        var description: String { "no negative ages" }
    }

    static func functions() throws -> QueryFunctions {
        var f = QueryFunctions()
        try f.register(function: "test/twice") { args in
            guard case .int(let i) = args[0] else { return nil }
            return .int(i * 2)
        }
        try f.register(predicate: "test/long-name?") { args in
            if case .string(let s) = args[0] { s.count > 4 } else { false }
        }
        try f.register(aggregate: "test/product") { values in
            .int(values.reduce(Int64(1)) { if case .int(let i) = $1 { $0 * i } else { $0 } })
        }
        try f.register(function: "test/checked") { args in
            if case .int(let i) = args[0], i < 0 { throw Failure() }
            return args[0]
        }
        return f
    }

    @Test func registeredFunctionsRunLikeBuiltins() throws {
        let db = try Conformance.database(Datasets.people)
        let options = QueryOptions(functions: try Self.functions())
        let twice = try db.query("[:find ?n ?t :where [?e :person/name ?n] [?e :person/age ?a] [(test/twice ?a) ?t] [(< ?a 20)]]",
                                 [], options: options)
        #expect(twice.rows == [[.string("Ivan"), .int(30)]])
        let long = try db.query("[:find ?n :where [_ :person/name ?n] [(test/long-name? ?n)]]", [], options: options)
        #expect(Set(long.rows) == [[.string("Maria")]])
        let product = try db.query("[:find (test/product ?a) . :with ?e :where [?e :person/age ?a] [(< ?a 30)]]", [],
                                   options: options)
        #expect(product.rows == [[.int(15 * 22)]])
    }

    @Test func whatAFunctionThrowsNamesItAndThePosition() throws {
        let db = try Conformance.database(Datasets.people)
        let options = QueryOptions(functions: try Self.functions())
        do {
            _ = try db.query("[:find ?x :where [(ground -1) ?a]\n [(test/checked ?a) ?x]]", [], options: options)
            Issue.record("the function's error was lost")
        } catch {
            #expect(error.kind == .query)
            #expect(error.message == "test/checked: no negative ages")
            #expect(error.position == SourcePosition(line: 2, column: 3))
        }
    }

    @Test func aPreparedQueryTakesItsFunctionsAtRun() throws {
        let db = try Conformance.database(Datasets.people)
        let q = try PreparedQuery("[:find (test/product ?t) . :where [?e :person/age ?a] [(< ?a 20)] [(test/twice ?a) ?t]]")
        #expect(try db.query(q, [], options: QueryOptions(functions: try Self.functions())).rows == [[.int(30)]])
        #expect(throws: QuarryError.self) { _ = try db.query(q, []) }
    }

    @Test func namesAreNamespacedAndFree() throws {
        var f = QueryFunctions()
        for bad in ["twice", "/x", "x/", "a/b/c", "str/shout", "1a/b", "a b/c"] {
            #expect(throws: QuarryError.self, "\(bad)") { try f.register(function: bad) { _ in nil } }
        }
        try f.register(function: "a/b") { _ in nil }
        #expect(throws: QuarryError.self) { try f.register(aggregate: "a/b") { _ in .int(0) } }
    }
}
