import Quarry
import QuarryWorkloads

/// The OHLC data in SQLite, in two forms, with the GROUP BY query that
/// answers what Quarry's correlated subqueries do.
///
/// - wide: one row per bar with hour, open, high, low and close columns
///   (the form SQLite is best at);
/// - EAV: one row per datom, indexed like Quarry's EAVT and AVET, joined
///   once per attribute.
struct OHLCSQLite {
    enum Form: String, CaseIterable, Encodable { case wide, eav }

    let form: Form
    let connection: SQLiteConnection

    init(_ form: Form, workload: OHLCWorkload) throws {
        self.form = form
        connection = try SQLiteConnection()
        try connection.execute("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; BEGIN")
        switch form {
        case .wide: try loadWide(workload)
        case .eav: try loadEAV(workload)
        }
        try connection.execute("COMMIT; ANALYZE")
    }

    private func loadWide(_ w: OHLCWorkload) throws {
        try connection.execute("""
            CREATE TABLE symbols(id INTEGER PRIMARY KEY, ticker TEXT NOT NULL);
            CREATE TABLE bars(symbol INTEGER NOT NULL, hour INTEGER NOT NULL,
                              open REAL, high REAL, low REAL, close REAL);
            """)
        try connection.prepare("INSERT INTO symbols VALUES (?, ?)")
            .run([.int(OHLCWorkload.symbolEntity), .text(OHLCWorkload.ticker)])
        let insert = try connection.prepare("INSERT INTO bars VALUES (?, ?, ?, ?, ?, ?)")
        for h in 0..<w.hours {
            for b in 0..<w.bars {
                let p = OHLCWorkload.prices(hour: h, bar: b)
                try insert.run([.int(OHLCWorkload.symbolEntity), .int(Int64(h)), .double(p.open), .double(p.high),
                                .double(p.low), .double(p.close)])
            }
        }
    }

    private func loadEAV(_ w: OHLCWorkload) throws {
        try connection.execute("CREATE TABLE datoms(e INTEGER NOT NULL, a TEXT NOT NULL, v)")
        let insert = try connection.prepare("INSERT INTO datoms VALUES (?, ?, ?)")
        try insert.run([.int(OHLCWorkload.symbolEntity), .text(":symbol/ticker"), .text(OHLCWorkload.ticker)])
        var e = OHLCWorkload.symbolEntity + 1
        for h in 0..<w.hours {
            for b in 0..<w.bars {
                let p = OHLCWorkload.prices(hour: h, bar: b)
                let values: [(String, SQLiteValue)] = [
                    (":price/symbol", .int(OHLCWorkload.symbolEntity)), (":price/hour", .int(Int64(h))),
                    (":price/open", .double(p.open)), (":price/high", .double(p.high)),
                    (":price/low", .double(p.low)), (":price/close", .double(p.close)),
                ]
                for (a, v) in values { try insert.run([.int(e), .text(a), v]) }
                e += 1
            }
        }
        try connection.execute("CREATE INDEX eavt ON datoms(e, a, v); CREATE INDEX avet ON datoms(a, v, e)")
    }

    var query: String {
        switch form {
        case .wide:
            return """
                SELECT b.hour, avg(b.open), max(b.high), min(b.low), avg(b.close)
                FROM symbols s JOIN bars b ON b.symbol = s.id
                WHERE s.ticker = 'AAPL' GROUP BY b.hour
                """
        case .eav:
            return """
                SELECT h.v, avg(o.v), max(hi.v), min(l.v), avg(c.v)
                FROM datoms t
                JOIN datoms s ON s.a = ':price/symbol' AND s.v = t.e
                JOIN datoms h ON h.e = s.e AND h.a = ':price/hour'
                JOIN datoms o ON o.e = s.e AND o.a = ':price/open'
                JOIN datoms hi ON hi.e = s.e AND hi.a = ':price/high'
                JOIN datoms l ON l.e = s.e AND l.a = ':price/low'
                JOIN datoms c ON c.e = s.e AND c.a = ':price/close'
                WHERE t.a = ':symbol/ticker' AND t.v = 'AAPL' GROUP BY h.v
                """
        }
    }

    /// Prepares, runs and reads the query: what an embedder pays per query.
    func run() throws -> [[Double]] { try connection.rows(query) }
}
