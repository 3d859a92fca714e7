import Foundation
import Testing

/// How values compare, as Clojure's `compare` and `=`: tuples shorter
/// first, then element by element, by value; NaN equal to nothing and
/// neither less nor greater than anything; infinities read and written.
@Suite struct ValueConformance {
    static let cases: [ConformanceCase] = [
        .init("tuple", "tuples compare element by element by value", "[:find ?x :where [(ground [[2] [10] [35]]) [?x ...]] [(< ?x [10])]]",
              expect: "#{[[2]]}"),
        .init("tuple", "a shorter tuple is less", "[:find ?x :where [(ground [[1 2 3] [9]]) [?x ...]] [(< ?x [5 5])]]",
              expect: "#{[[9]]}"),
        .init("tuple", "tuples compare numbers across types", "[:find ?x :where [(ground [[1 2.5] [1 3]]) [?x ...]] [(> ?x [1 2.75])]]",
              expect: "#{[[1 3]]}"),
        .init("tuple", ":order-by on tuples sorts by value",
              "[:find ?t :where [(ground [350 50 850]) [?n ...]] [(tuple ?n) ?t] :order-by [?t]]",
              expect: "[[[50]] [[350]] [[850]]]"),
        .init("tuple", ":order-by on tuples of strings and numbers",
              "[:find ?t :where [(ground [[\"b\" 1] [\"a\" 2] [\"a\" 10]]) [?t ...]] :order-by [[?t :desc]]]",
              expect: #"[[["b" 1]] [["a" 10]] [["a" 2]]]"#),
        .init("nan", "NaN is not equal to itself", "[:find ?x :where [(ground ##NaN) ?x] [(= ?x ?x)]]", expect: "#{}"),
        .init("nan", "NaN is unequal to itself", "[:find ?x :where [(ground ##NaN) ?x] [(!= ?x ?x)]]",
              expect: "#{[##NaN]}"),
        .init("nan", "NaN is neither less nor greater", "[:find ?x :where [(ground [1.0 ##NaN]) [?x ...]] [(< ?x 2)]]",
              expect: "#{[1.0]}"),
        .init("nan", "NaN is not at least anything", "[:find ?x :where [(ground [1.0 ##NaN]) [?x ...]] [(>= ?x 0)]]",
              expect: "#{[1.0]}"),
        .init("nan", "NaN sorts after every number", "[:find ?x :where [(ground [2.0 ##NaN 1.0]) [?x ...]] :order-by [?x]]",
              expect: "[[1.0] [2.0] [##NaN]]"),
        .init("inf", "infinities read, compare and print", "[:find ?x :where [(ground [##Inf ##-Inf 1]) [?x ...]] [(> ?x 0)]]",
              expect: "#{[##Inf] [1]}"),
        .init("bag", ":with without aggregates keeps repeated rows",
              "[:find ?age :with ?e :where [?e :person/age ?age] [(> ?age 30)]]", expect: "[[37] [37] [61] [44]]"),
    ]

    @Test(arguments: cases)
    func query(_ c: ConformanceCase) throws { try Conformance.run(c) }

    /// No output format prints a bag as a set.
    @Test func theCommandPrintsABagAsAVector() throws {
        let folder = try SQLiteFileTests.Folder()
        let data = folder.path("people.edn")
        try Datasets.people.write(toFile: data, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = try ConcurrentWriterTests.quarryExecutable()
        p.arguments = ["query", "--db", data, "--format", "edn", "[:find ?age :with ?e :where [?e :person/age ?age] [(= ?age 37)]]"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(text.trimmingCharacters(in: .whitespacesAndNewlines) == "[[37] [37]]")
    }
}
