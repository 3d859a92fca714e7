import Foundation
@testable import Quarry
import Testing

/// The deepest input the reader accepts must parse, plan and run within
/// the stack a host thread is likely to have: these run the deepest query
/// of each recursive shape on a thread with 512 KiB of stack.
@Suite("Reliability: the nesting limit holds on a 512 KiB stack")
struct DepthLimitTests {
    /// 512 KiB; 4 MiB under AddressSanitizer, whose redzones make every
    /// frame several times larger (the sanitizer pass checks memory errors,
    /// the plain pass the stack).
    static let stackBytes = underAddressSanitizer ? 4 << 20 : 512 << 10

    static let underAddressSanitizer = dlsym(nil, "__asan_init") != nil

    /// Runs `body` on a new thread with `stackBytes` of stack, waits for
    /// it, and returns "ok" or the error it threw.
    static func onSmallStack(_ body: @escaping @Sendable () throws -> Void) -> String {
        let done = DispatchSemaphore(value: 0)
        let outcome = LockedBox<String>("")
        let thread = Thread {
            do {
                try body()
                outcome.set("ok")
            } catch {
                outcome.set("\(error)")
            }
            done.signal()
        }
        thread.stackSize = stackBytes
        thread.start()
        done.wait()
        return outcome.get()
    }

    /// `open` and `close` wrapped `n` times around `inner`.
    static func nest(_ n: Int, _ open: String, _ inner: String, _ close: String) -> String {
        String(repeating: open, count: n) + inner + String(repeating: close, count: n)
    }

    static let depth = EDN.maxDepth
    static let clauses = Planner.maxNestingDepth

    static let queries: [(String, String, [String])] = [
        ("nested not", "[:find ?e :where [?e :person/age _] " + nest(clauses, "(not ", "[?e :person/age 1]", ")") + "]", []),
        ("nested or/and", "[:find ?e :where " + nest(clauses / 2, "(or (and ", "[?e :person/age _]", "))") + "]", []),
        ("nested not-join", "[:find ?e :where [?e :person/age _] "
            + nest(clauses, "(not-join [?e] ", "[?e :person/age 1]", ")") + "]", []),
        ("nested ground data", "[:find ?x :where [(ground " + nest(depth - 3, "[", "1", "]") + ") ?x]]", []),
        ("nested input", "[:find ?x :in $ ?x :where [(ground ?x) ?y]]", [nest(depth, "[", "1", "]")]),
        ("nested subqueries", "[:find ?x :where "
            + nest((depth - 2) / 3, "[(q [:find ?x :in $ :where ", "[(ground 1) ?x]", "] $) [[?x]]]") + "]", []),
        ("nested rule bodies", "[:find ?e :in $ % :where (r ?e)]",
         ["[[(r ?e) [?e :person/age _] " + nest(clauses - 1, "(not ", "[?e :person/age 1]", ")") + "]]"]),
        ("rule chain at the limit", "[:find ?x :in $ % :where (r0 ?x)]",
         ["[" + (0..<(clauses - 1)).map { "[(r\($0) ?x) (r\($0 + 1) ?x)]" }.joined(separator: " ")
          + " [(r\(clauses - 1) ?x) [?x :person/age _]]]"]),
    ]

    static let tooDeep: [(String, String, [String])] = [
        ("not past the limit", "[:find ?e :where [?e :person/age _] "
            + nest(clauses + 1, "(not ", "[?e :person/age 1]", ")") + "]", []),
        ("rule chain past the limit", "[:find ?x :in $ % :where (r0 ?x)]",
         ["[" + (0..<(clauses + 1)).map { "[(r\($0) ?x) (r\($0 + 1) ?x)]" }.joined(separator: " ")
          + " [(r\(clauses + 1) ?x) [?x :person/age _]]]"]),
        // The planner's in-order analysis follows rule calls too: a long
        // chain must stop it at the limit, not recurse once per rule.
        ("a chain of 50,000 rules", "[:find ?x :in $ % :where (r0 ?x)]",
         ["[" + (0..<50_000).map { "[(r\($0) ?x) (r\($0 + 1) ?x)]" }.joined(separator: " ")
          + " [(r50000 ?x) [?x :person/age _]]]"]),
        ("rule bodies nesting past the limit through calls", "[:find ?e :in $ % :where (r0 ?e)]",
         ["[" + (0..<40).map { "[(r\($0) ?e) [?e :person/age _] " + nest(10, "(not ", "(r\($0 + 1) ?e)", ")") + "]" }
            .joined(separator: " ") + " [(r40 ?e) [?e :person/age 1]]]"]),
    ]

    @Test(arguments: tooDeep.map(\.0))
    func pastTheLimitIsAnError(_ name: String) throws {
        let (_, query, inputs) = Self.tooDeep.first { $0.0 == name }!
        let db = try Conformance.database(Datasets.people)
        let outcome = Self.onSmallStack { _ = try db.query(query, inputs: try inputs.map { try EDNReader.readOne($0) }) }
        #expect(outcome.contains("nest deeper than 64 levels"), "\(name): \(outcome)")
    }

    @Test(arguments: queries.map(\.0))
    func deepestQueryRuns(_ name: String) throws {
        let (_, query, inputs) = Self.queries.first { $0.0 == name }!
        let db = try Conformance.database(Datasets.people)
        let outcome = Self.onSmallStack {
            let edn = try inputs.map { try EDNReader.readOne($0) }
            let result = try db.query(query, inputs: edn, options: QueryOptions(explain: true))
            _ = result.rows.map { $0.map(EDNWriter.write) }
        }
        // Within the limit, each of these is a query that runs; none may be refused for depth.
        #expect(outcome == "ok", "\(name): \(outcome)")
    }

    @Test("The deepest transaction data loads on a small stack")
    func deepestTransaction() {
        let data = "[" + Self.nest(Self.depth - 1, "{:child ", "1", "}") + "]"
        #expect(Self.onSmallStack { _ = try Database.load(edn: data) } == "ok")
    }
}

/// A value handed from one thread to another.
final class LockedBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T
    init(_ value: T) { self.value = value }
    func set(_ v: T) { lock.withLock { value = v } }
    func get() -> T { lock.withLock { value } }
}
