import Foundation
@testable import Quarry
import Testing

/// Inputs that once trapped, overflowed the stack or hung: each is now a
/// result or an error. Add every new crash here (or to a fuzz corpus).
@Suite("Reliability: hostile inputs are errors, never traps")
struct HostileInputTests {
    static let arithmetic: [ConformanceCase] = [
        .init("arithmetic", "quot of doubles", "[:find ?x :where [(quot 5.5 0.5) ?x]]", expect: "#{[11.0]}"),
        .init("arithmetic", "quot past the Int64 range", "[:find ?x :where [(quot 1e300 2) ?x]]", expect: "#{[5.0E299]}"),
        .init("arithmetic", "quot by infinity", "[:find ?x :where [(quot 5 1e400) ?x]]", expect: "#{[0.0]}"),
        .init("arithmetic", "rem of doubles (Clojure: 1.5)", "[:find ?x :where [(rem 5.5 2) ?x]]", expect: "#{[1.5]}"),
        .init("arithmetic", "rem of a negative double", "[:find ?x :where [(rem -5.5 2) ?x]]", expect: "#{[-1.5]}"),
        .init("arithmetic", "mod of a negative double", "[:find ?x :where [(mod -5.5 2) ?x]]", expect: "#{[0.5]}"),
        .init("arithmetic", "mod of a double by a negative", "[:find ?x :where [(mod 5.5 -2) ?x]]", expect: "#{[-0.5]}"),
        .init("arithmetic", "rem of Int64.min by -1", "[:find ?x :where [(rem -9223372036854775808 -1) ?x]]",
              expect: "#{[0]}"),
        .init("arithmetic", "mod of Int64.min by -1", "[:find ?x :where [(mod -9223372036854775808 -1) ?x]]",
              expect: "#{[0]}"),
        .init("aggregate", "(max 0 ?x) is empty", "[:find (max 0 ?a) . :where [_ :person/age ?a]]", expect: "[]"),
    ]

    @Test(arguments: arithmetic)
    func value(_ c: ConformanceCase) throws { try Conformance.run(c) }

    static let errors: [ErrorCase] = [
        .init("quot of doubles by zero", "[:find ?x :where [(quot 5.5 0) ?x]]", message: "quot: division by zero"),
        .init("rem of doubles by zero", "[:find ?x :where [(rem 5 0.0) ?x]]", message: "rem: division by zero"),
        .init("quot that is not finite", "[:find ?x :where [(quot 1e300 1e-300) ?x]]", message: "not a finite number"),
        .init("quot of infinity", "[:find ?x :where [(quot 1e400 2) ?x]]", message: "not a finite number"),
        .init("quot of Int64.min by -1", "[:find ?x :where [(quot -9223372036854775808 -1) ?x]]",
              message: "quot: integer overflow"),
        .init("negating Int64.min", "[:find ?x :where [(- -9223372036854775808) ?x]]", message: "-: integer overflow"),
        .init("dividing Int64.min by -1", "[:find ?x :where [(/ -9223372036854775808 -1) ?x]]",
              message: "/: integer overflow"),
        .init("dec of Int64.min", "[:find ?x :where [(dec -9223372036854775808) ?x]]", message: "integer overflow"),
        .init("abs of Int64.min", "[:find ?x :where [(abs -9223372036854775808) ?x]]", message: "integer overflow"),
        .init("(min -1 ?a)", "[:find (min -1 ?a) :where [_ :person/age ?a]]", message: "needs n of 0 or more"),
        .init("(max -2 ?a)", "[:find (max -2 ?a) :where [_ :person/age ?a]]", message: "needs n of 0 or more"),
        .init("(rand -1 ?a)", "[:find (rand -1 ?a) :where [_ :person/age ?a]]", message: "needs n of 0 or more"),
        .init("(sample Int64.min ?a)", "[:find (sample -9223372036854775808 ?a) :where [_ :person/age ?a]]",
              message: "needs n of 0 or more"),
        .init("rule depending on its own negation", "[:find ?x :in $ % :where (p ?x)]",
              inputs: ["[[(p ?x) [?x :person/age _] (not (p ?x))]]"], message: "rule p depends on its own negation"),
        .init("rules negating each other", "[:find ?x :in $ % :where (p ?x)]",
              inputs: ["[[(p ?x) [?x :person/age _] (not (q ?x))] [(q ?x) [?x :person/age _] (not-join [?x] (p ?x))]]"],
              message: "rules p and q depend on each other through negation"),
        .init("negation through a longer cycle", "[:find ?x :in $ % :where (p ?x)]",
              inputs: ["[[(p ?x) (q ?x)] [(q ?x) [?x :person/age _] (or (r ?x) (not (p ?x)))] [(r ?x) [?x :person/age 1]]]"],
              message: "cannot be stratified"),
        .init("rule calls that double at every level", "[:find ?x :in $ % :where (r0 ?x)]",
              inputs: ["[" + (0..<30).map { "[(r\($0) ?x) (r\($0 + 1) ?x) (r\($0 + 1) ?x)]" }.joined(separator: " ")
                       + " [(r30 ?x) [?x :person/age _]]]"],
              message: "expands more than 10000 rule calls"),
        .init("rule calls nested past the limit", "[:find ?x :in $ % :where (r0 ?x)]",
              inputs: ["[" + (0..<150).map { "[(r\($0) ?x) (r\($0 + 1) ?x)]" }.joined(separator: " ")
                       + " [(r150 ?x) [?x :person/age _]]]"],
              message: "nest deeper than 64 levels"),
        .init("query nested past the limit",
              "[:find ?x :where [(ground " + String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
                + ") ?x]]", message: "forms nest deeper than 100 levels at 1:"),
        .init("input nested past the limit", "[:find ?x :in $ ?x :where [?x :person/age _]]",
              inputs: [String(repeating: "[", count: 101) + String(repeating: "]", count: 101)],
              message: "nest deeper than 100 levels"),
    ]

    @Test(arguments: errors)
    func error(_ c: ErrorCase) { Conformance.runError(c) }

    static let transactionErrors: [(String, String)] = [
        ("[{:db/id 9223372036854775807 :a 1} {:b 2}]", "no entity id is left"),
        (#"[{:db/id 1 :t #inst "2021-02-29"}]"#, "RFC 3339"),
        (#"[{:db/id 1 :t #inst "2021-04-31T00:00:00Z"}]"#, "RFC 3339"),
        (#"[{:db/id 1 :t #inst "2021-01-01T00:00:00+24:00"}]"#, "RFC 3339"),
        (#"[{:db/id 1 :t #inst "2021-01-01T00:10:60Z"}]"#, "RFC 3339"),
        ("[" + String(repeating: "{:db/id 1 :child ", count: 120) + "1" + String(repeating: "}", count: 120) + "]",
         "nest deeper than 100 levels"),
    ]

    @Test(arguments: transactionErrors)
    func transaction(_ c: (String, String)) {
        #expect(throws: (any Error).self) { _ = try Database.load(edn: c.0) }
        do {
            _ = try Database.load(edn: c.0)
        } catch {
            #expect("\(error)".contains(c.1), "got \"\(error)\"")
        }
    }

    @Test("Valid edge dates and ids are accepted")
    func edges() throws {
        let db = try Database.load(edn: #"[{:db/id 9223372036854775807 :t #inst "2020-02-29T23:59:60Z"}]"#)
        let r = try db.query("[:find ?e ?t :where [?e :t ?t]]")
        #expect(r.rows == [[.int(.max), .instant(Instant(iso8601: "2020-03-01T00:00:00Z")!)]])
        #expect(Instant(Date(timeIntervalSince1970: 1e300)) == nil)
        #expect(Instant(Date(timeIntervalSince1970: .nan)) == nil)
    }

    @Test("A transaction adds many values of one cardinality-many attribute, each once")
    func manyValues() throws {
        let values = (0..<20_000).map(String.init).joined(separator: " ")
        let data = "[{:db/ident :tag :db/cardinality :db.cardinality/many} {:db/id 1 :tag [\(values) 7 8]}"
            + " [:db/retract 1 :tag 9] [:db/add 1 :tag 9]]"
        let db = try Database.load(edn: data)
        let r = try db.query("[:find (count ?t) . :where [1 :tag ?t]]")
        #expect(r.rows == [[.int(20_000)]])
        let next = try db.transact(EDNReader.readOne("[[:db/retract 1 :tag 5] [:db/add 1 :tag 5] [:db/retract 1 :tag 6]]"))
        #expect(try next.query("[:find (count ?t) . :where [1 :tag ?t]]").rows == [[.int(19_999)]])
    }

    @Test("EDN built in Swift is held to the same depth as text")
    func swiftBuiltDepth() throws {
        var form = EDN(.int(1))
        for _ in 0..<500 { form = EDN(.vector([form])) }
        let db = try Database()
        #expect(throws: EDNError.self) { try form.checkDepth() }
        #expect(throws: (any Error).self) { _ = try db.transact(EDN(.vector([form]))) }
        #expect(throws: QueryError.self) { _ = try db.query("[:find ?x :in $ ?x :where [(ground ?x) ?y]]", inputs: [form]) }
        #expect(throws: QueryError.self) { _ = try QueryParser.parse(EDN(.vector([EDN(.keyword(Keyword("find"))), form]))) }
    }
}

@Suite("Reliability: queries built in Swift are held to the same limits")
struct SwiftBuiltQueryTests {
    @Test func deepClausesAndBindingsAreErrors() throws {
        let db = try Database.load(edn: Datasets.people)
        var query = try QueryParser.parse("[:find ?e :where [?e :person/age _]]")
        var clause = Clause.rule(source: "$", name: "r", args: [], .unknown)
        for _ in 0..<10_000 { clause = .not(source: "$", joinVariables: nil, clauses: [clause], .unknown) }
        query.clauses.append(clause)
        #expect(throws: QueryError.self) { _ = try db.query(query) }
        var binding = Binding.variable("?x")
        for _ in 0..<10_000 { binding = .collection(binding) }
        guard case .function(let ground, _, _) = try QueryParser.parseClause(EDNReader.readOne("[(ground 1) ?x]")) else {
            Issue.record("[(ground 1) ?x] is not a function clause")
            return
        }
        var withBinding = try QueryParser.parse("[:find ?e :where [?e :person/age _]]")
        withBinding.clauses.append(.function(ground, binding, .unknown))
        #expect(throws: QueryError.self) { _ = try db.query(withBinding) }
    }
}

@Suite("Reliability: a SQLite store at the end of its ids")
struct ExhaustedStoreTests {
    @Test func writesIntoAStoreWhoseCountersAreAtInt64MaxAreErrors() async throws {
        let path = TemporaryFiles.path("exhausted")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let source = try SQLiteSource(path: path, mode: .create)
        _ = try await source.transact(EDNReader.readOne(#"[{:db/id 1 :name "a"}]"#))
        try SQLiteConnection(path: path).execute("UPDATE meta SET value = 9223372036854775807")
        let reopened = try SQLiteSource(path: path, mode: .readWrite)
        for data in [#"[{:db/id 1 :name "b"}]"#, #"[{:name "c"}]"#] {
            do {
                _ = try await reopened.transact(EDNReader.readOne(data))
                Issue.record("\(data) was written")
            } catch {
                #expect(error is TransactionError, "\(error)")
            }
        }
    }
}
