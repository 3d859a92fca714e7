import Foundation
import Quarry

/// The OHLC workload: one symbol, `hours` × `bars` price bars, and the
/// query that asks for each hour's open, high, low and close through four
/// correlated subqueries (the query issue 4 names). Shared by
/// `quarry demo ohlc` and `quarry-bench ohlc`.
public struct OHLCWorkload: Sendable {
    public let hours: Int
    public let bars: Int

    public init(hours: Int, bars: Int) {
        self.hours = hours
        self.bars = bars
    }

    /// One symbol datom plus five per bar.
    public var datoms: Int { 1 + 5 * hours * bars }

    /// The symbol's entity id; bar `b` of hour `h` is entity `2 + h·bars + b`.
    public static let symbolEntity: Int64 = 1
    public static let ticker = "AAPL"

    /// The prices of bar `bar` of hour `hour`.
    public static func prices(hour: Int, bar: Int) -> (open: Double, high: Double, low: Double, close: Double) {
        let open = 100 + 0.5 * Double(hour) + 0.1 * Double(bar)
        return (open, open + 2.0, open - 1.0, open + 0.5)
    }

    /// The data as EDN transaction data.
    public func edn() -> String {
        var out = "[{:db/ident :price/symbol :db/valueType :db.type/ref}\n"
            + " {:db/id \(Self.symbolEntity) :symbol/ticker \"\(Self.ticker)\"}\n"
        var id = Self.symbolEntity + 1
        for h in 0..<hours {
            for b in 0..<bars {
                let p = Self.prices(hour: h, bar: b)
                out += " {:db/id \(id) :price/symbol \(Self.symbolEntity) :price/hour \(h) :price/open \(p.open)"
                    + " :price/high \(p.high) :price/low \(p.low) :price/close \(p.close)}\n"
                id += 1
            }
        }
        return out + "]"
    }

    public static let query = """
        [:find ?hour ?avg_open ?high ?low ?avg_close
         :where [?s :symbol/ticker "AAPL"] [?b :price/symbol ?s] [?b :price/hour ?hour]
           [(q [:find (avg ?o) :in $ ?sym ?hr :where [?bar :price/symbol ?sym] [?bar :price/hour ?hr] [?bar :price/open ?o]] $ ?s ?hour) [[?avg_open]]]
           [(q [:find (max ?h) :in $ ?sym ?hr :where [?bar :price/symbol ?sym] [?bar :price/hour ?hr] [?bar :price/high ?h]] $ ?s ?hour) [[?high]]]
           [(q [:find (min ?l) :in $ ?sym ?hr :where [?bar :price/symbol ?sym] [?bar :price/hour ?hr] [?bar :price/low ?l]] $ ?s ?hour) [[?low]]]
           [(q [:find (avg ?c) :in $ ?sym ?hr :where [?bar :price/symbol ?sym] [?bar :price/hour ?hr] [?bar :price/close ?c]] $ ?s ?hour) [[?avg_close]]]]
        """
}
