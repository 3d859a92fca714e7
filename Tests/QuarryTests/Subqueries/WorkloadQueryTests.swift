import Quarry
import QuarryWorkloads
import Testing

/// The demo and benchmark workloads' queries give, in every mode, what a
/// direct computation over the generated bars gives.
@Suite("Workload queries")
struct WorkloadQueryTests {
    @Test(arguments: SubqueryMode.allCases)
    func ohlcRollsUpEachHour(mode: SubqueryMode) throws {
        try expectOHLC(OHLCWorkload(hours: 6, bars: 4), mode: mode)
    }

    /// Past `PatternJoin.prefetchFromDatoms`, where the lookups prefetch.
    @Test func ohlcOverIndexesBiggerThanTheCaches() throws {
        let w = OHLCWorkload(hours: 1_100, bars: 20)
        #expect(w.hours * w.bars * 6 >= 1 << 17)
        try expectOHLC(w, mode: .decorrelated)
    }

    /// What the demos' `--memory-limit` runs: every mode under one budget,
    /// the ones that pass it stopped with the budget named.
    @Test func modeRunsHonourTheMemoryBudget() throws {
        let db = try Database.load(edn: OHLCWorkload(hours: 6, bars: 4).edn())
        let (free, _) = try ModeRun.measure(OHLCWorkload.query, on: db, mode: .streaming, repetitions: 1)
        let roomy = free.engineBytesPeak * 2
        let (run, result) = try ModeRun.measure(OHLCWorkload.query, on: db, mode: .streaming, repetitions: 1,
                                                memoryLimitBytes: roomy)
        #expect(run.rows == 6 && result.rows.count == 6)
        #expect {
            _ = try ModeRun.measure(OHLCWorkload.query, on: db, mode: .streaming, repetitions: 1, memoryLimitBytes: 1024)
        } throws: { ($0 as? QueryError)?.exceededBudgetBytes == 1024 }
    }

    private func expectOHLC(_ w: OHLCWorkload, mode: SubqueryMode) throws {
        let result = try Database.load(edn: w.edn()).query(OHLCWorkload.query, options: QueryOptions(subqueries: mode))
        var expected: [[Value]] = []
        for h in 0..<w.hours {
            let p = (0..<w.bars).map { OHLCWorkload.prices(hour: h, bar: $0) }
            let n = Double(w.bars)
            expected.append([.int(Int64(h)), .double(p.map(\.open).reduce(0, +) / n), .double(p.map(\.high).max()!),
                             .double(p.map(\.low).min()!), .double(p.map(\.close).reduce(0, +) / n)])
        }
        let rows = result.rows.sorted { "\($0[0])" < "\($1[0])" }
        #expect(rows.count == expected.count)
        for (row, want) in zip(rows, expected.sorted { "\($0[0])" < "\($1[0])" }) {
            #expect(row[0] == want[0])
            for c in 1..<5 { #expect(abs(row[c].double - want[c].double) < 1e-9) }
        }
    }

    @Test(arguments: SubqueryMode.allCases)
    func marketRollsUpEachSymbolDayAndHourInOrder(mode: SubqueryMode) throws {
        let w = MarketWorkload(symbols: 2, days: 2)
        let result = try Database.load(edn: w.edn()).query(MarketWorkload.query, options: QueryOptions(subqueries: mode))
        var expected: [[Value]] = []
        for s in 0..<w.symbols {
            var hours: [(day: Int64, hour: Int64, bars: [MarketWorkload.Bar])] = []
            for b in w.bars(ofSymbol: s) {
                let ms = b.time.millisecondsSinceEpoch
                let day = Int64(2 + (ms - 1_793_611_800_000) / 86_400_000), hour = (ms / 3_600_000) % 24
                if hours.last?.day == day && hours.last?.hour == hour {
                    hours[hours.count - 1].bars.append(b)
                } else {
                    hours.append((day, hour, [b]))
                }
            }
            for h in hours {
                expected.append([.string(MarketWorkload.tickers[s]), .int(h.day), .int(h.hour), .double(h.bars.first!.open),
                                 .double(h.bars.map(\.high).max()!), .double(h.bars.map(\.low).min()!),
                                 .double(h.bars.last!.close), .int(h.bars.map(\.volume).reduce(0, +))])
            }
        }
        #expect(result.ordered)
        #expect(result.rows.arrays == expected)
    }
}

private extension Value {
    var double: Double {
        switch self {
        case .double(let d): d
        case .int(let i): Double(i)
        default: .nan
        }
    }
}
