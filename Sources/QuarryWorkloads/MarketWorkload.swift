import Quarry

/// The realistic OHLC variant: several symbols, one-minute bars with
/// `#inst` times and volumes over trading days (09:30–16:00 UTC), and the
/// query that rolls them up per symbol, day and hour through a correlated
/// subquery: open and close are the first and last bar of the hour (min
/// and max of time, via the `day` and `hour` time functions), high and low
/// the extremes, volume the `(sum ?v)` of every bar (`:with ?bar`), in
/// `:order-by` order. Shared by `quarry demo market` and `quarry-bench ohlc`.
public struct MarketWorkload: Sendable {
    public static let tickers = ["AAPL", "MSFT", "NVDA", "AMZN", "GOOG", "META", "TSLA", "AVGO"]
    /// Minutes of a trading day.
    public static let minutesPerDay = 390
    /// 2026-11-02T09:30:00Z, the first bar.
    static let firstBarMilliseconds: Int64 = 1_793_611_800_000

    public let symbols: Int
    public let days: Int

    /// `symbols` of ``tickers`` (at most 8), `days` consecutive days.
    public init(symbols: Int, days: Int) {
        self.symbols = max(1, min(symbols, Self.tickers.count))
        self.days = max(1, days)
    }

    public var bars: Int { symbols * days * Self.minutesPerDay }
    /// One ticker datom per symbol, seven per bar.
    public var datoms: Int { symbols + 7 * bars }

    /// One bar: its time and prices, deterministic for its symbol, day and minute.
    public struct Bar: Sendable {
        public var time: Instant
        public var open, high, low, close: Double
        public var volume: Int64
    }

    /// Every bar of symbol `s`, in time order: a random walk from 100 + 50·s.
    public func bars(ofSymbol s: Int) -> [Bar] {
        var state = UInt64(s + 1) &* 0x9E37_79B9_7F4A_7C15
        func next() -> Double {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
        }
        func cents(_ x: Double) -> Double { (x * 100).rounded() / 100 }
        var out: [Bar] = []
        out.reserveCapacity(days * Self.minutesPerDay)
        var price = 100 + 50 * Double(s)
        for d in 0..<days {
            for m in 0..<Self.minutesPerDay {
                let open = cents(price)
                let close = cents(open + (next() - 0.5))
                let high = cents(max(open, close) + next() * 0.2)
                let low = cents(min(open, close) - next() * 0.2)
                let ms = Self.firstBarMilliseconds + Int64(d) * 86_400_000 + Int64(m) * 60_000
                out.append(Bar(time: Instant(millisecondsSinceEpoch: ms), open: open, high: high, low: low,
                               close: close, volume: 100 + Int64(next() * 900)))
                price = close
            }
        }
        return out
    }

    /// The data as EDN transaction data.
    public func edn() -> String {
        var out = """
            [{:db/ident :bar/symbol :db/valueType :db.type/ref}
             {:db/ident :bar/time :db/valueType :db.type/instant}
             {:db/ident :symbol/ticker :db/valueType :db.type/string :db/unique :db.unique/identity}

            """
        for s in 0..<symbols { out += " {:db/id \(s + 1) :symbol/ticker \"\(Self.tickers[s])\"}\n" }
        var id = symbols + 1
        for s in 0..<symbols {
            for b in bars(ofSymbol: s) {
                out += " {:db/id \(id) :bar/symbol \(s + 1) :bar/time #inst \"\(b.time)\" :bar/open \(b.open)"
                    + " :bar/high \(b.high) :bar/low \(b.low) :bar/close \(b.close) :bar/volume \(b.volume)}\n"
                id += 1
            }
        }
        return out + "]"
    }

    public static let query = """
        [:find ?ticker ?day ?hour ?open ?high ?low ?close ?volume
         :where [?s :symbol/ticker ?ticker]
           [(q [:find ?d ?h (min ?t) (max ?t) (max ?hi) (min ?lo) (sum ?v)
                :with ?bar
                :in $ ?sym
                :where [?bar :bar/symbol ?sym] [?bar :bar/time ?t] [(day ?t) ?d] [(hour ?t) ?h]
                       [?bar :bar/high ?hi] [?bar :bar/low ?lo] [?bar :bar/volume ?v]]
               $ ?s)
            [[?day ?hour ?first ?last ?high ?low ?volume]]]
           [?fb :bar/time ?first] [?fb :bar/symbol ?s] [?fb :bar/open ?open]
           [?lb :bar/time ?last] [?lb :bar/symbol ?s] [?lb :bar/close ?close]
         :order-by [?ticker ?day ?hour]]
        """
}
