#if Postgres
import Foundation
import Logging
import PostgresNIO
import Quarry
import QuarryPostgres
import QuarryReport
import QuarryWorkloads

/// The scenarios of `quarry-bench network`: queries on a PostgreSQL store
/// through ``DelayProxy``, round trips counted by the source and by the
/// server (`pg_stat_statements`, when the server loads it).
struct NetworkBenchmark {
    /// A server reachable over TCP; its user may create databases.
    let server: PostgresURL
    let oneWay: Duration
    let repetitions: Int

    struct Row: Encodable {
        var scenario: String
        /// Scans of datoms the source sent (requests), and every statement it sent.
        var scans: Int
        var statements: Int
        /// The same counted by the server; nil without `pg_stat_statements`.
        var serverScans: Int?
        var serverStatements: Int?
        /// The server's time executing the statements that read datoms
        /// (`pg_stat_statements`), in the run whose wall time is the median.
        var serverMilliseconds: Double?
        var wallMilliseconds: Double
        var rowsFetched: Int
    }

    struct Report: Encodable {
        var machine = MachineInfo()
        var oneWayMilliseconds: Double
        var bareRoundTripMilliseconds = 0.0
        var loneScanOverheadPercent = 0.0
        var rows: [Row] = []
        var targets: [TargetCheck] = []
    }

    /// The two stores of the run, each a database of its own.
    static let ohlcDatabase = "quarry_bench_ohlc"
    static let graphDatabase = "quarry_bench_graph"

    func run() async throws -> Report {
        var report = Report(oneWayMilliseconds: oneWay / .microseconds(1) / 1000)
        guard let host = server.host else { throw ScanError("the network benchmark needs a server on TCP, not a socket") }
        let stats = try await ServerStatements(server: server)
        do {
            try await run(&report, stats: stats, host: host)
        } catch {
            await stats.close()
            throw error
        }
        await stats.close()
        report.targets = targets(report)
        return report
    }

    private func run(_ report: inout Report, stats: ServerStatements, host: String) async throws {
        let workload = OHLCWorkload(hours: 200, bars: 20)
        let items = (1...1000).map { "{:db/id \($0) :item/next \($0 + 1000)} {:db/id \($0 + 1000) :item/name \"n\($0)\"}" }
        let graph = "[{:db/ident :item/next :db/valueType :db.type/ref} " + items.joined(separator: " ") + "]"
        for (name, data) in [(Self.ohlcDatabase, workload.edn()), (Self.graphDatabase, graph)] {
            try await stats.recreate(name)
            let direct = try PostgresSource(url: database(name, of: server), maxConnections: 2)
            _ = try await direct.load(try EDNReader.readOne(data))
            await direct.close()
        }
        let local = try Database.load(edn: workload.edn())
        let expected = try local.query(OHLCWorkload.query).rows.count

        let proxy = try await DelayProxy(to: (host, server.port), oneWay: oneWay)
        var through = server
        (through.host, through.port, through.sslMode) = ("127.0.0.1", proxy.port, "disable")
        do {
            let ohlc = try await PostgresSource.open(database(Self.ohlcDatabase, of: through), maxConnections: 32)
            let nplus1 = try await PostgresSource.open(database(Self.graphDatabase, of: through), maxConnections: 4)
            do {
                try await run(&report, stats: stats, ohlc: ohlc, nplus1: nplus1, local: local, expected: expected,
                              bareURL: database(Self.ohlcDatabase, of: through))
            } catch {
                await ohlc.close()
                await nplus1.close()
                throw error
            }
            await ohlc.close()
            await nplus1.close()
        } catch {
            await proxy.stop()
            throw error
        }
        await proxy.stop()
    }

    private func run(_ report: inout Report, stats: ServerStatements, ohlc: PostgresSource, nplus1: PostgresSource,
                     local: Database, expected: Int, bareURL: PostgresURL) async throws {

        /// Runs `body` `times` times; the row holds the last run's counts and the median wall time.
        func measure(_ scenario: String, _ source: PostgresSource, database: String, times: Int? = nil,
                     _ body: () async throws -> (rows: Int, ms: Double?)) async throws -> Row {
            var row = Row(scenario: scenario, scans: 0, statements: 0, wallMilliseconds: 0, rowsFetched: 0)
            var walls: [(wall: Double, server: Double?)] = []
            for _ in 0..<(times ?? repetitions) {
                try await stats.reset()
                let (scans, statements) = (source.scans, source.statements)
                let began = ContinuousClock.now
                let (rows, ms) = try await body()
                let wall = ms ?? (ContinuousClock.now - began) / .microseconds(1) / 1000
                row.rowsFetched = rows
                // A session ends without waiting for the server: its last
                // statements (the ROLLBACK, then the standby's next BEGIN)
                // are counted and land a moment later, so both counts are
                // read again (for up to 2 s) until they agree twice in a row:
                // agreeing once, between the two, let the BEGIN fall into the
                // next run's server count and not its source's.
                var agreed = 0
                for _ in 0..<40 {
                    try await Task.sleep(for: .milliseconds(50))
                    row.scans = source.scans - scans
                    row.statements = source.statements - statements
                    (row.serverScans, row.serverStatements, row.serverMilliseconds) = try await stats.counts(database)
                    agreed = row.serverStatements.map({ $0 == row.statements }) ?? true ? agreed + 1 : 0
                    if agreed == 2 { break }
                }
                walls.append((wall, row.serverMilliseconds))
            }
            (row.wallMilliseconds, row.serverMilliseconds) = walls.sorted { $0.wall < $1.wall }[walls.count / 2]
            return row
        }

        // The bare round trip: one trivial statement on a connection of its own.
        var bare: [Double] = []
        do {
            let logger = Logger(label: "quarry.bench")
            let conn = try await PostgresConnection.connect(configuration: try bareURL.connectionConfiguration(), id: 1,
                                                            logger: logger)
            do {
                for _ in 0..<200 {
                    let t0 = ContinuousClock.now
                    _ = try await conn.query("SELECT 1", logger: logger).collect()
                    bare.append((ContinuousClock.now - t0) / .microseconds(1))
                }
            } catch {
                try? await conn.close()
                throw error
            }
            try await conn.close()
            report.bareRoundTripMilliseconds = bare.sorted()[bare.count / 2] / 1000
        }

        // OHLC in every subquery mode, with and without the materializer; each run cold.
        for mode in [SubqueryMode.auto, .streaming, .decorrelated, .materialized] {
            for materialized in [true, false] {
                let name = "OHLC 200×20, \(mode), " + (materialized ? "materializer" : "no materializer")
                report.rows.append(try await measure(name, ohlc, database: Self.ohlcDatabase,
                                                     times: materialized ? nil : 1) {
                    let remote = materialized ? RemoteDatabase(materializer: Materializer(source: ohlc))
                        : RemoteDatabase(unmaterialized: ohlc)
                    let r = try await remote.query(OHLCWorkload.query, options: QueryOptions(subqueries: mode))
                    guard r.rows.count == expected else { throw ScanError("\(name): \(r.rows.count) rows, expected \(expected)") }
                    return (r.rows.count, r.stats.wallMilliseconds)
                })
            }
        }

        // The one request OHLC sends with the materializer, alone: what fetching it costs the client.
        let attributes = ["price/symbol", "price/hour", "price/open", "price/high", "price/low", "price/close",
                          "symbol/ticker"].map(Keyword.init)
        let whole = ScanRequest(shape: ScanShape(source: ohlc.name, attributes: attributes, parameters: [], parameterKinds: []),
                                bindings: [[]])
        report.rows.append(try await measure("OHLC's one request alone, straight to the source", ohlc,
                                             database: Self.ohlcDatabase) {
            (try await ohlc.scan(whole, account: nil).count, nil)
        })
        // The same without the proxy: what the delay and the proxy's copying cost.
        // Opened (and so described) as the proxied source was: both send the same statement.
        let direct = try await PostgresSource.open(database(Self.ohlcDatabase, of: server), maxConnections: 1)
        report.rows.append(try await measure("OHLC's one request alone, no proxy", direct, database: Self.ohlcDatabase) {
            (try await direct.scan(whole, account: nil).count, nil)
        })
        await direct.close()

        report.rows.append(try await measure("N+1: 1,000 entities through a ref", nplus1, database: Self.graphDatabase) {
            let r = try await RemoteDatabase(materializer: Materializer(source: nplus1))
                .query("[:find ?e ?name :where [?e :item/next ?f] [?f :item/name ?name]]")
            guard r.rows.count == 1000 else { throw ScanError("N+1: \(r.rows.count) rows") }
            return (r.rows.count, r.stats.wallMilliseconds)
        })

        report.rows.append(try await measure("16 concurrent OHLC queries, one materializer", ohlc,
                                             database: Self.ohlcDatabase) {
            let m = Materializer(source: ohlc)
            let counts = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<16 {
                    group.addTask { try await RemoteDatabase(materializer: m).query(OHLCWorkload.query).rows.count }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            guard counts.allSatisfy({ $0 == expected }) else { throw ScanError("16 OHLC: wrong rows") }
            return (counts.reduce(0, +), nil)
        })

        let bars = try local.query("[:find [?b ...] :where [?b :price/open _]]").rows.prefix(16).compactMap { row -> Int64? in
            if case .int(let e) = row[0] { return e }
            if case .ref(let e) = row[0] { return e }
            return nil
        }
        report.rows.append(try await measure("16 concurrent point queries, one materializer", ohlc,
                                             database: Self.ohlcDatabase) {
            let m = Materializer(source: ohlc)
            let found = try await withThrowingTaskGroup(of: Int.self) { group in
                for bar in bars {
                    group.addTask {
                        try await RemoteDatabase(materializer: m)
                            .query("[:find ?o :in $ ?bar :where [?bar :price/open ?o]]", inputs: [EDN(.int(bar))]).rows.count
                    }
                }
                return try await group.reduce(0, +)
            }
            guard found == 16 else { throw ScanError("16 point queries: \(found) rows") }
            return (found, nil)
        })

        // Writes: one datom each, one after another, into the OHLC store.
        var tick = 0
        report.rows.append(try await measure("one-datom write (a SERIALIZABLE transaction)", ohlc,
                                             database: Self.ohlcDatabase) {
            tick += 1
            let summary = try await ohlc.transact(try EDNReader.readOne("[[:db/add 1 :symbol/ticks \(tick)]]"))
            return (summary.datoms, nil)
        })

        // A lone scan through the materializer (no cache) against the same scan straight to the source.
        do {
            let m = Materializer(source: ohlc, options: .init(cacheBytes: 0))
            _ = try await m.sourceDescription()
            let shape = ScanShape(source: ohlc.name, attributes: [Keyword("price/open")], parameters: .e, parameterKinds: [.int])
            var direct: [Double] = [], materialized: [Double] = []
            for k in 0..<200 {
                let r = ScanRequest(shape: shape, bindings: [[.int(bars[k % bars.count])]])
                let t0 = ContinuousClock.now
                _ = try await ohlc.scan(r, account: nil)
                let t1 = ContinuousClock.now
                _ = try await m.fetch([r])
                let t2 = ContinuousClock.now
                direct.append((t1 - t0) / .microseconds(1))
                materialized.append((t2 - t1) / .microseconds(1))
            }
            let d = direct.sorted()[100], t = materialized.sorted()[100]
            report.loneScanOverheadPercent = (t / d - 1) * 100
            report.rows.append(Row(scenario: "lone scan straight to the source", scans: 1, statements: 1,
                                   wallMilliseconds: d / 1000, rowsFetched: 1))
            report.rows.append(Row(scenario: "lone scan through the materializer", scans: 1, statements: 1,
                                   wallMilliseconds: t / 1000, rowsFetched: 1))
        }
    }

    private func database(_ name: String, of url: PostgresURL) -> PostgresURL {
        var u = url
        u.database = name
        return u
    }

    private func targets(_ r: Report) -> [TargetCheck] {
        func row(_ prefix: String) -> Row? { r.rows.first { $0.scenario.hasPrefix(prefix) } }
        var out: [TargetCheck] = []
        for m in r.rows where m.scenario.hasPrefix("OHLC") && m.scenario.hasSuffix(", materializer") {
            out.append(TargetCheck(target: "\(m.scenario): <= 2 round trips", measured: "\(m.scans)", met: m.scans <= 2))
            out.append(TargetCheck(target: "\(m.scenario): <= 15 ms", measured: Format.fixed(m.wallMilliseconds, 2) + " ms",
                                   met: m.wallMilliseconds <= 15))
        }
        if let n = row("N+1") {
            out.append(TargetCheck(target: "N+1, 1,000 entities: <= 2 round trips", measured: "\(n.scans)", met: n.scans <= 2))
        }
        if let c = row("16 concurrent OHLC"), let lone = row("OHLC 200×20, auto, materializer") {
            out.append(TargetCheck(target: "16 concurrent OHLC queries: each distinct scan once (as one query)",
                                   measured: "\(c.scans) requests, one query \(lone.scans)", met: c.scans == lone.scans))
        }
        if let p = row("16 concurrent point") {
            out.append(TargetCheck(target: "16 concurrent point queries: <= 4 requests", measured: "\(p.scans)", met: p.scans <= 4))
        }
        out.append(TargetCheck(target: "lone scan: <= 5% over the same scan sent straight",
                               measured: Format.fixed(r.loneScanOverheadPercent, 1) + "%", met: r.loneScanOverheadPercent <= 5))
        // Every statement the source counted, the server counted (requests included).
        let counted = r.rows.filter { $0.serverStatements != nil }
        let differ = counted.filter { $0.serverStatements != $0.statements }
        if !counted.isEmpty {
            out.append(TargetCheck(target: "the server's count of statements is the source's, in every scenario",
                                   measured: differ.isEmpty ? "\(counted.count) scenarios agree"
                                       : differ.map { "\($0.scenario): server \($0.serverStatements!), source \($0.statements)" }
                                       .joined(separator: "; "),
                                   met: differ.isEmpty))
        }
        return out
    }
}

/// The server's own count of statements, per database, from the
/// `pg_stat_statements` extension (loaded through
/// `shared_preload_libraries`); without it the counts are nil.
actor ServerStatements {
    private let admin: PostgresConnection
    private let logger = Logger(label: "quarry.bench")
    private var available = false

    init(server: PostgresURL) async throws {
        admin = try await PostgresConnection.connect(configuration: try server.connectionConfiguration(), id: 0,
                                                     logger: Logger(label: "quarry.bench"))
        do {
            try await admin.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements", logger: logger)
            _ = try await admin.query("SELECT pg_stat_statements_reset()", logger: logger).collect()
            available = true
        } catch {
            FileHandle.standardError.write(Data("note: pg_stat_statements is not loaded; the server's counts are left out\n".utf8))
        }
    }

    /// An empty database `name`, dropped first if it exists.
    func recreate(_ name: String) async throws {
        try await admin.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"), logger: logger)
        try await admin.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
    }

    /// Closes its connection.
    func close() async { try? await admin.close() }

    func reset() async throws {
        guard available else { return }
        _ = try await admin.query("SELECT pg_stat_statements_reset()", logger: logger).collect()
    }

    /// Scans of datoms, all statements, and the milliseconds spent
    /// executing the scans, in `database` since the last reset. The pool's
    /// pings of connections idle for 30 s (`SELECT 1 AS quarry_keep_alive`)
    /// are left out: no query sends them, and the source does not count them.
    func counts(_ database: String) async throws -> (Int?, Int?, Double?) {
        guard available else { return (nil, nil, nil) }
        var scans = 0, all = 0, ms = 0.0
        for try await (s, a, t) in try await admin.query("""
            SELECT COALESCE(SUM(calls) FILTER (WHERE query LIKE '%quarry_datoms%'), 0)::BIGINT,
                   COALESCE(SUM(calls) FILTER (WHERE query NOT LIKE '%quarry_keep_alive%'), 0)::BIGINT,
                   COALESCE(SUM(total_exec_time) FILTER (WHERE query LIKE '%quarry_datoms%'), 0)::FLOAT8
            FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = \(database))
            """, logger: logger).decode((Int64, Int64, Double).self) {
            (scans, all, ms) = (Int(s), Int(a), t)
        }
        return (scans, all, ms)
    }
}
#endif
