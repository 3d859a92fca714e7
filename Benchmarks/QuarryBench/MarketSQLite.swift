import Quarry
import QuarryWorkloads

/// The realistic variant's bars in a SQLite table (one row per bar, indexed
/// by symbol and time) and the SQL that answers `MarketWorkload.query`:
/// hourly first/last bar by time, high, low and volume, in order.
struct MarketSQLite {
    let connection: SQLiteConnection

    init(workload: MarketWorkload) throws {
        connection = try SQLiteConnection()
        try connection.execute("""
            PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; BEGIN;
            CREATE TABLE bars(symbol TEXT NOT NULL, time INTEGER NOT NULL, open REAL, high REAL, low REAL,
                              close REAL, volume INTEGER);
            """)
        let insert = try connection.prepare("INSERT INTO bars VALUES (?, ?, ?, ?, ?, ?, ?)")
        for s in 0..<workload.symbols {
            for b in workload.bars(ofSymbol: s) {
                try insert.run([.text(MarketWorkload.tickers[s]), .int(b.time.millisecondsSinceEpoch), .double(b.open),
                                .double(b.high), .double(b.low), .double(b.close), .int(b.volume)])
            }
        }
        try connection.execute("CREATE INDEX bars_symbol_time ON bars(symbol, time); COMMIT; ANALYZE")
    }

    static let query = """
        WITH h AS (
          SELECT symbol, time / 3600000 AS slot, min(time) AS first, max(time) AS last,
                 max(high) AS high, min(low) AS low, sum(volume) AS volume
          FROM bars GROUP BY symbol, slot)
        SELECT CAST(strftime('%d', h.first / 1000, 'unixepoch') AS INTEGER),
               CAST(strftime('%H', h.first / 1000, 'unixepoch') AS INTEGER),
               o.open, h.high, h.low, c.close, h.volume
        FROM h JOIN bars o ON o.symbol = h.symbol AND o.time = h.first
               JOIN bars c ON c.symbol = h.symbol AND c.time = h.last
        ORDER BY h.symbol, h.slot
        """

    /// Day, hour, open, high, low, close and volume of every row, in order.
    func run() throws -> [[Double]] { try connection.rows(Self.query) }
}
