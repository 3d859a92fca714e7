import Foundation
@testable import Quarry
import Testing

/// Comparisons of a pattern's value with constants go to a remote source
/// as the scan's filter (SQLite evaluates it in its statement). Whatever
/// the values and comparisons, a remote query answers as the same query
/// on the in-memory store, and the filter only ever narrows what is
/// fetched.
@Suite struct RemoteFilterTests {
    /// SQLite cannot store NaN; everything else of the local range tests.
    private static let values: [String] = [
        "0", "1", "-1", "42", "-42", "50000", "49999", "50001", "9223372036854775807", "-9223372036854775808",
        "9223372036854775806", "0.0", "2.5", "-2.5", "50000.5", "49999.999", "1e300", "-1e300", "##Inf",
        "##-Inf", "9.3e18", "-9.3e18", "4611686018427387904", "9007199254740993", "9007199254740992.0", "\"text\"",
        "\"50000\"", ":kw", "#inst \"2000-01-01T00:00:00Z\"", "#inst \"1960-06-01T00:00:00Z\"",
        "#inst \"1969-12-31T23:59:59.999Z\"", "true",
    ]
    private static let constants: [String] = [
        "0", "-1", "50000", "49999.5", "-2.5", "9223372036854775807", "-9223372036854775808", "1e300", "##Inf",
        "##-Inf", "-0.0", "9.3e18", "9007199254740993", "9007199254740992.0", "9007199254740994.0",
        "#inst \"1970-01-01T00:00:00Z\"", "#inst \"1999-01-01T00:00:00Z\"", "\"m\"", "##NaN",
    ]

    private static var data: String {
        var tx = "[{:db/ident :other :db/valueType :db.type/ref}\n"
        for (i, v) in values.enumerated() {
            for copy in 0..<3 { tx += "{:db/id \(1 + i * 3 + copy) :v \(v) :other \(1 + (i * 3 + copy + 1) % (values.count * 3))}\n" }
        }
        return tx + "]"
    }

    /// Random chains of comparisons, each query with the pattern scanned
    /// whole (`[?e :v ?s]`) or looked up from another pattern's entities.
    private static func queries(count: Int) -> [String] {
        var state: UInt64 = 0xF117E5
        func next(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(n))
        }
        let ops = ["<", "<=", ">", ">="]
        return (0..<count).map { _ in
            var predicates: [String] = []
            for _ in 0..<(1 + next(2)) {
                let arity = 2 + next(2), at = next(arity)
                let args = (0..<arity).map { $0 == at ? "?s" : constants[next(constants.count)] }
                predicates.append("[(\(ops[next(ops.count)]) \(args.joined(separator: " ")))]")
            }
            let patterns = next(2) == 0 ? "[?e :v ?s]" : "[?x :other ?e] [?e :v ?s]"
            return "[:find ?e ?s :where \(patterns) \(predicates.joined(separator: " "))]"
        }
    }

    @Test func remoteAnswersAreTheLocalOnes() async throws {
        let path = TemporaryFiles.path("filter")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let local = try Database().transact(EDNReader.readOne(Self.data))
        guard try await SQLiteSource.create(path: path, loading: EDNReader.readOne(Self.data)) != nil else {
            Issue.record("no store made")
            return
        }
        let sqlite = try SQLiteSource(path: path)
        let remotes = [
            ("sqlite, materialized", RemoteDatabase(materializer: Materializer(source: sqlite))),
            ("sqlite, key by key", RemoteDatabase(materializer: Materializer(source: sqlite,
                                                                             options: .init(planWholeAttributes: false)))),
            ("sqlite, no materializer", RemoteDatabase(unmaterialized: sqlite)),
            ("memory, no materializer", RemoteDatabase(unmaterialized: local)),
        ]
        // Counted without a materializer, whose cache answers later queries from earlier fetches.
        var filtered = 0, narrower = 0
        for query in Self.queries(count: 60) {
            let want = Set(try local.query(query).rows)
            for (name, remote) in remotes {
                let got = try await remote.query(query, options: QueryOptions(analyze: true))
                #expect(Set(got.rows) == want, "\(name): \(query)")
                let requests = got.stats.remote?.requests ?? []
                if name == "sqlite, no materializer", requests.contains(where: { $0.contains("where v") }) {
                    filtered += 1
                    if got.stats.remote!.rowsFetched < Self.values.count * 6 { narrower += 1 }
                }
            }
        }
        // Most queries compare with numbers or instants only: their scans go filtered, and fetch less.
        #expect(filtered > 30)
        #expect(narrower > 20)
    }

    @Test func aFilteredFetchCoversOnlyWhatItsFilterAdmits() async throws {
        let db = try Database().transact(EDNReader.readOne("[{:db/id 1 :n 1} {:db/id 2 :n 5} {:db/id 3 :n 9}]"))
        let remote = RemoteDatabase(materializer: Materializer(source: db))
        let narrow = try await remote.query("[:find ?e :where [?e :n ?v] [(> ?v 4)]]")
        #expect(Set(narrow.rows) == [[.int(2)], [.int(3)]])
        // The same materializer: the filtered answer does not pass for the whole attribute.
        let all = try await remote.query("[:find ?e :where [?e :n ?v]]")
        #expect(Set(all.rows) == [[.int(1)], [.int(2)], [.int(3)]])
        // A narrower filter is served from the wider one's answer.
        let narrower = try await remote.query("[:find ?e :where [?e :n ?v] [(> ?v 8)]]")
        #expect(narrower.rows == [[.int(3)]])
    }

    @Test func sqliteEvaluatesTheFilterInItsStatement() {
        let exact = SQLiteSource.filterSQL(ScanFilter(lower: .init(.int(5), inclusive: true),
                                                      upper: .init(.double(9.5), inclusive: false)))
        #expect(exact?.0 == "d.vt IN (?, ?) AND d.v >= ? AND d.v < ?")
        #expect(SQLiteSource.filterSQL(ScanFilter()) == nil)
        // SQLite orders strings by their bytes: left to the check per row.
        #expect(SQLiteSource.filterSQL(ScanFilter(lower: .init(.string("m"), inclusive: true))) == nil)
        // A number and an instant bound nothing.
        #expect(SQLiteSource.filterSQL(ScanFilter(lower: .init(.int(0), inclusive: true),
                                                  upper: .init(.instant(Instant(millisecondsSinceEpoch: 0)),
                                                               inclusive: true)))?.0 == "0")
    }
}
