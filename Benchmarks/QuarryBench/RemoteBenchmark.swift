import Foundation
import Quarry
import QuarryWorkloads
import QuarryReport

/// The scenarios of `quarry-bench remote`.
struct RemoteBenchmark {
    let rtt: Duration
    let repetitions: Int
    let sqlite: Bool

    struct Row: Encodable {
        var scenario: String
        var roundTrips: Int
        var wallMilliseconds: Double
        var rowsFetched: Int
        var flightsShared: Int
        var cacheHits: Int
        var repeatedKeys: Int
    }

    struct Report: Encodable {
        var machine = MachineInfo()
        var rttMilliseconds: Double
        var rows: [Row] = []
        var loneScanOverheadPercent = 0.0
        var targets: [TargetCheck] = []
    }

    func run() async throws -> Report {
        var report = Report(rttMilliseconds: milliseconds(rtt))
        let workload = OHLCWorkload(hours: 200, bars: 20)
        let db = try Database.load(edn: workload.edn())
        let expected = try db.query(OHLCWorkload.query).rows.count

        // OHLC, three ways, each run on a fresh network and materializer (cold).
        func ohlc(_ name: String, mode: SubqueryMode = .auto, _ make: (LatencySource) -> RemoteDatabase) async throws -> Row {
            var walls: [Double] = []
            var row = Row(scenario: name, roundTrips: 0, wallMilliseconds: 0, rowsFetched: 0, flightsShared: 0, cacheHits: 0,
                          repeatedKeys: 0)
            // One untimed run first, on its own network and materializer:
            // the timed runs stay cold for Quarry, but not for the process
            // (the previous scenario's memory and code are out of the way).
            _ = try await make(LatencySource(wrapping: db, roundTrip: rtt)).query(OHLCWorkload.query,
                                                                                  options: QueryOptions(subqueries: mode))
            for _ in 0..<repetitions {
                let net = LatencySource(wrapping: db, roundTrip: rtt)
                let remote = make(net)
                let result = try await remote.query(OHLCWorkload.query, options: QueryOptions(subqueries: mode))
                guard result.rows.count == expected else { throw ScanError("\(name): \(result.rows.count) rows, expected \(expected)") }
                let s = result.stats.remote!
                walls.append(result.stats.wallMilliseconds)
                row.roundTrips = s.roundTrips
                row.rowsFetched = s.rowsFetched
                row.flightsShared = s.flightsShared
                row.cacheHits = s.cacheHits
                row.repeatedKeys = await net.counters.repeatedKeys
            }
            row.wallMilliseconds = walls.sorted()[walls.count / 2]
            return row
        }
        let plain = Materializer.Options(cacheBytes: 0, shareFlights: false)
        report.rows.append(try await ohlc("OHLC 200×20, no materializer (streaming)", mode: .streaming) {
            RemoteDatabase(unmaterialized: $0) })
        report.rows.append(try await ohlc("OHLC 200×20, no materializer (auto)") { RemoteDatabase(unmaterialized: $0) })
        report.rows.append(try await ohlc("OHLC 200×20, batched (streaming)", mode: .streaming) {
            RemoteDatabase(materializer: Materializer(source: $0, options: plain)) })
        report.rows.append(try await ohlc("OHLC 200×20, batched") {
            RemoteDatabase(materializer: Materializer(source: $0, options: plain)) })
        report.rows.append(try await ohlc("OHLC 200×20, batched + shared + cached") {
            RemoteDatabase(materializer: Materializer(source: $0)) })
        // Without whole attributes asked for by the plan: a phase per level of dependent patterns.
        report.rows.append(try await ohlc("OHLC 200×20, same, keys only as reached") {
            RemoteDatabase(materializer: Materializer(source: $0, options: .init(planWholeAttributes: false))) })

        // A warm cache: the same query again on one materializer.
        do {
            let net = LatencySource(wrapping: db, roundTrip: rtt)
            let remote = RemoteDatabase(materializer: Materializer(source: net))
            _ = try await remote.query(OHLCWorkload.query)
            var walls: [Double] = []
            var last: QueryResult?
            for _ in 0..<repetitions {
                last = try await remote.query(OHLCWorkload.query)
                walls.append(last!.stats.wallMilliseconds)
            }
            let s = last!.stats.remote!
            report.rows.append(Row(scenario: "OHLC 200×20, again on a warm cache", roundTrips: s.roundTrips,
                                   wallMilliseconds: walls.sorted()[walls.count / 2], rowsFetched: s.rowsFetched,
                                   flightsShared: s.flightsShared, cacheHits: s.cacheHits, repeatedKeys: 0))
        }

        // N+1: 1,000 entities, each followed through a ref.
        do {
            let items = (1...1000).map { "{:db/id \($0) :item/next \($0 + 1000)} {:db/id \($0 + 1000) :item/name \"n\($0)\"}" }
            let graph = try Database.load(edn: "[{:db/ident :item/next :db/valueType :db.type/ref} " + items.joined(separator: " ") + "]")
            let q = "[:find ?e ?name :where [?e :item/next ?f] [?f :item/name ?name]]"
            var walls: [Double] = []
            var row = Row(scenario: "N+1: 1,000 entities through a ref", roundTrips: 0, wallMilliseconds: 0, rowsFetched: 0,
                          flightsShared: 0, cacheHits: 0, repeatedKeys: 0)
            for _ in 0..<repetitions {
                let net = LatencySource(wrapping: graph, roundTrip: rtt)
                let result = try await RemoteDatabase(materializer: Materializer(source: net)).query(q)
                guard result.rows.count == 1000 else { throw ScanError("N+1: \(result.rows.count) rows") }
                walls.append(result.stats.wallMilliseconds)
                row.roundTrips = result.stats.remote!.roundTrips
                row.rowsFetched = result.stats.remote!.rowsFetched
            }
            row.wallMilliseconds = walls.sorted()[walls.count / 2]
            report.rows.append(row)
        }

        // 16 concurrent copies on one materializer: each distinct scan reaches the source once.
        do {
            let net = LatencySource(wrapping: db, roundTrip: rtt)
            let m = Materializer(source: net)
            _ = try await m.sourceDescription()
            await net.resetCounters()
            let began = ContinuousClock.now
            let results = try await withThrowingTaskGroup(of: QueryResult.self) { group in
                for _ in 0..<16 { group.addTask { try await RemoteDatabase(materializer: m).query(OHLCWorkload.query) } }
                var all: [QueryResult] = []
                for try await r in group { all.append(r) }
                return all
            }
            guard results.allSatisfy({ $0.rows.count == expected }) else { throw ScanError("concurrent copies: wrong rows") }
            let c = await net.counters
            report.rows.append(Row(scenario: "16 concurrent OHLC copies, one materializer", roundTrips: c.roundTrips,
                                   wallMilliseconds: (ContinuousClock.now - began) / .milliseconds(1), rowsFetched: c.rows,
                                   flightsShared: results.reduce(0) { $0 + $1.stats.remote!.flightsShared },
                                   cacheHits: results.reduce(0) { $0 + $1.stats.remote!.cacheHits }, repeatedKeys: c.repeatedKeys))
        }

        // A lone scan: through the materializer against straight to the source.
        do {
            let net = LatencySource(wrapping: db, roundTrip: rtt)
            let m = Materializer(source: net, options: .init(cacheBytes: 0))
            _ = try await m.sourceDescription()
            let shape = ScanShape(source: db.name, attributes: [Keyword("price/open")], parameters: .e, parameterKinds: [.int])
            var bare: [Double] = [], through: [Double] = []
            // Many samples, alternating: one round trip is too noisy to compare on its own.
            for k in 0..<max(200, repetitions) {
                let r = ScanRequest(shape: shape, bindings: [[.int(Int64(2 + k))]])
                let t0 = ContinuousClock.now
                _ = try await net.scan(r, account: nil)
                let t1 = ContinuousClock.now
                _ = try await m.fetch([r])
                let t2 = ContinuousClock.now
                bare.append((t1 - t0) / .microseconds(1))
                through.append((t2 - t1) / .microseconds(1))
            }
            let b = bare.sorted()[bare.count / 2], t = through.sorted()[through.count / 2]
            report.loneScanOverheadPercent = (t / b - 1) * 100
            report.rows.append(Row(scenario: "lone scan through the materializer (bare: \(Format.fixed(b / 1000, 3)) ms)",
                                   roundTrips: 1, wallMilliseconds: t / 1000, rowsFetched: 1, flightsShared: 0, cacheHits: 0,
                                   repeatedKeys: 0))
        }

        if sqlite {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("quarry-bench-\(UUID()).sqlite").path
            defer { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + s) } }
            let store = try SQLiteSource(path: path, mode: .create)
            _ = try await store.transact(EDNReader.readOne(workload.edn()))
            for (name, materialized) in [("OHLC 200×20 on SQLite, no materializer", false),
                                         ("OHLC 200×20 on SQLite, materializer", true)] {
                var walls: [Double] = []
                var row = Row(scenario: name, roundTrips: 0, wallMilliseconds: 0, rowsFetched: 0, flightsShared: 0,
                              cacheHits: 0, repeatedKeys: 0)
                for _ in 0..<repetitions {
                    let remote = materialized ? RemoteDatabase(materializer: Materializer(source: store))
                        : RemoteDatabase(unmaterialized: store)
                    let before = await store.statements
                    let result = try await remote.query(OHLCWorkload.query)
                    guard result.rows.count == expected else { throw ScanError("\(name): wrong rows") }
                    walls.append(result.stats.wallMilliseconds)
                    // Statements executed, the description's included.
                    row.roundTrips = await store.statements - before
                    row.rowsFetched = result.stats.remote!.rowsFetched
                }
                row.wallMilliseconds = walls.sorted()[walls.count / 2]
                report.rows.append(row)
            }
        }
        report.targets = targets(report)
        return report
    }

    private func targets(_ r: Report) -> [TargetCheck] {
        func row(_ prefix: String) -> Row? { r.rows.first { $0.scenario.hasPrefix(prefix) } }
        var out: [TargetCheck] = []
        if let m = row("OHLC 200×20, batched + shared + cached") {
            out.append(TargetCheck(target: "OHLC 200×20 with the materializer: <= 6 round trips",
                                   measured: "\(m.roundTrips)", met: m.roundTrips <= 6))
            out.append(TargetCheck(target: "OHLC 200×20 with the materializer: <= 15 ms",
                                   measured: Format.fixed(m.wallMilliseconds, 2) + " ms", met: m.wallMilliseconds <= 15))
        }
        if let n = row("OHLC 200×20, no materializer (streaming)") {
            out.append(TargetCheck(target: "without the materializer: 800+ round trips", measured: "\(n.roundTrips)",
                                   met: n.roundTrips >= 800))
        }
        if let n = row("N+1") {
            out.append(TargetCheck(target: "N+1, 1,000 entities: <= 3 round trips", measured: "\(n.roundTrips)",
                                   met: n.roundTrips <= 3))
        }
        if let c = row("16 concurrent") {
            out.append(TargetCheck(target: "16 concurrent copies: each distinct scan once",
                                   measured: "\(c.repeatedKeys) keys asked again", met: c.repeatedKeys == 0))
        }
        out.append(TargetCheck(target: "lone scan: <= 5% over the bare round trip",
                               measured: Format.fixed(r.loneScanOverheadPercent, 1) + "%", met: r.loneScanOverheadPercent <= 5))
        return out
    }
}
