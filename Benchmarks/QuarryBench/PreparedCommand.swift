import ArgumentParser
import Foundation
import Quarry
import QuarryReport

/// `quarry-bench prepared`: what the embedding API saves. Short queries
/// run from text every time against the same queries prepared once, and
/// the first row of a large result through a cursor against the whole
/// result, on the query benchmark's data.
struct PreparedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prepared",
        abstract: "Short queries from text vs prepared; a cursor's first row vs the whole result."
    )

    @OptionGroup var common: CommonOptions

    @Option(name: .long, help: "Datoms to load.")
    var datoms = 100_000

    @Option(name: .long, help: "Runs of each way per round (medians are reported).")
    var runs = 2_000

    func validate() throws {
        guard datoms >= 1_000 else { throw ValidationError("datoms must be at least 1000") }
        guard runs > 0 else { throw ValidationError("runs must be positive") }
    }

    /// Queries taking a customer's name: what an application asks again and again.
    static let short: [(name: String, text: String)] = [
        ("lookup", """
         [:find ?c . :in $ ?name :where [?c :customer/name ?name]]
         """),
        ("orders of", """
         [:find ?o ?amount :in $ ?name :where [?c :customer/name ?name] [?o :order/customer ?c] [?o :order/amount ?amount]]
         """),
        ("5 patterns", """
         [:find ?pn (sum ?q) :in $ ?name
          :where [?c :customer/name ?name] [?o :order/customer ?c] [?o :order/product ?p]
                 [?o :order/qty ?q] [?p :product/name ?pn]]
         """),
    ]

    static let scan = "[:find ?o ?amount :where [?o :order/amount ?amount]]"

    func run() throws {
        common.warnIfDebug()
        let workload = QueryWorkload(datoms: datoms)
        let (db, _) = try QueryBenchmark(workload: workload, repetitions: 1).load()
        var results: [PreparedResult] = []
        for (name, text) in Self.short {
            let prepared = try PreparedQuery(text)
            var fromText: [Double] = [], fromPrepared: [Double] = []
            // Alternating rounds: the VM's speed drifts, both ways see the same drift.
            for round in 0..<10 {
                let customers = (0..<runs / 10).map { "customer-\(($0 * 7919 + round) % workload.customers)" }
                fromText.append(try perRun(customers.count) {
                    for c in customers { _ = try db.query(text, inputs: [EDN(.string(c))]) }
                })
                fromPrepared.append(try perRun(customers.count) {
                    for c in customers { _ = try db.query(prepared, [.value(c)]) }
                })
            }
            results.append(PreparedResult(query: name, textMicroseconds: median(fromText),
                                          preparedMicroseconds: median(fromPrepared)))
        }
        let prepared = try PreparedQuery(Self.scan)
        var whole: [Double] = [], first: [Double] = []
        var rows = 0, firstRowPeak: UInt64 = 0, wholePeak: UInt64 = 0
        for _ in 0..<5 {
            whole.append(try perRun(1) {
                let r = try db.query(prepared)
                rows = r.rows.count
                wholePeak = r.stats.engineBytesPeak
            })
            first.append(try perRun(1) {
                let cursor = try db.cursor(prepared)
                _ = try cursor.next()
                firstRowPeak = cursor.stats.engineBytesPeak
                cursor.close()
            })
        }
        let report = PreparedReport(machine: MachineInfo(), datoms: db.count, short: results,
                                    scan: ScanResult(rows: rows, wholeMilliseconds: median(whole) / 1000,
                                                     firstRowMilliseconds: median(first) / 1000,
                                                     wholeEngineBytesPeak: wholePeak,
                                                     firstRowEngineBytesPeak: firstRowPeak))
        if common.json {
            try printJSON(report)
        } else {
            print(report.tables)
        }
    }

    /// Microseconds per run of `body`, which makes `count` runs.
    private func perRun(_ count: Int, _ body: () throws -> Void) throws -> Double {
        try measure(body).seconds * 1e6 / Double(count)
    }
}

struct PreparedResult: Encodable {
    var query: String
    var textMicroseconds: Double
    var preparedMicroseconds: Double
    enum CodingKeys: String, CodingKey {
        case query, textMicroseconds = "text_us", preparedMicroseconds = "prepared_us"
    }
}

struct ScanResult: Encodable {
    var rows: Int
    var wholeMilliseconds: Double
    var firstRowMilliseconds: Double
    var wholeEngineBytesPeak: UInt64
    var firstRowEngineBytesPeak: UInt64
    enum CodingKeys: String, CodingKey {
        case rows, wholeMilliseconds = "whole_ms", firstRowMilliseconds = "first_row_ms"
        case wholeEngineBytesPeak = "whole_engine_bytes_peak", firstRowEngineBytesPeak = "first_row_engine_bytes_peak"
    }
}

struct PreparedReport: Encodable {
    var benchmark = "prepared"
    var machine: MachineInfo
    var datoms: Int
    var short: [PreparedResult]
    var scan: ScanResult

    var tables: String {
        var t = Table(headers: ["query (\(Format.grouped(datoms)) datoms)", "from text µs", "prepared µs", "saved"],
                      rightAligned: [1, 2, 3])
        for r in short {
            t.append([r.query, Format.fixed(r.textMicroseconds, 1), Format.fixed(r.preparedMicroseconds, 1),
                      Format.fixed(100 * (1 - r.preparedMicroseconds / r.textMicroseconds), 0) + "%"])
        }
        var s = Table(headers: ["scan of \(Format.grouped(scan.rows)) rows", "ms", "engine peak KiB"], rightAligned: [1, 2])
        s.append(["whole result", Format.fixed(scan.wholeMilliseconds, 2), Format.grouped(Int(scan.wholeEngineBytesPeak / 1024))])
        s.append(["cursor, first row", Format.fixed(scan.firstRowMilliseconds, 3),
                  Format.grouped(Int(scan.firstRowEngineBytesPeak / 1024))])
        return t.render() + "\n\n" + s.render()
    }
}
