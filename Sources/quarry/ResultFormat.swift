import Foundation
import Quarry
import QuarryReport

/// Prints a query result as `quarry query --format` asks.
enum ResultFormat: String, CaseIterable {
    case table, edn, json

    func render(_ result: QueryResult, stats: Bool) -> String {
        switch self {
        case .json: Self.json(result, stats: stats)
        case .edn: Self.edn(result)
        case .table: Self.table(result, stats: stats)
        }
    }

    // MARK: JSON

    static func json(_ value: Value) -> String {
        switch value {
        case .int(let i), .ref(let i): String(i)
        case .double(let d): d.isFinite ? (d == d.rounded() && abs(d) < 1e15 ? String(format: "%.1f", d) : "\(d)") : "null"
        case .bool(let b): b ? "true" : "false"
        case .string(let s): jsonString(s)
        case .keyword(let k): jsonString(k.description)
        case .instant(let t): jsonString(t.description)
        case .uuid(let u): jsonString(u.uuidString.lowercased())
        case .tuple(let items): "[" + items.map(json).joined(separator: ",") + "]"
        case .map:
            "{" + value.mapEntries.map { jsonString(jsonKey($0.key)) + ":" + json($0.value) }.joined(separator: ",") + "}"
        }
    }

    /// A map key as a JSON object's name: a keyword without its colon
    /// (`person/name`), a string as itself, anything else as its EDN text.
    static func jsonKey(_ key: Value) -> String {
        switch key {
        case .keyword(let k): k.text
        case .string(let s): s
        default: EDNWriter.write(key)
        }
    }

    static func jsonString(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if c.value < 0x20 {
                    out += String(format: "\\u%04x", c.value)
                } else {
                    out.unicodeScalars.append(c)
                }
            }
        }
        return out + "\""
    }

    private static func json(_ result: QueryResult, stats: Bool) -> String {
        let columns = "[" + result.columns.map(jsonString).joined(separator: ",") + "]"
        let rows = "[" + result.rows.map { "[" + $0.map(json).joined(separator: ",") + "]" }.joined(separator: ",") + "]"
        var out = "{\"columns\":\(columns),\"rows\":\(rows)"
        if stats {
            let s = result.stats
            let ops = s.operatorRows.map { "{\"op\":\(jsonString($0.op)),\"rows\":\($0.rows)}" }.joined(separator: ",")
            out += ",\"stats\":{\"wall_ms\":\(String(format: "%.3f", s.wallMilliseconds)),"
                + "\"engine_bytes_peak\":\(s.engineBytesPeak),\"engine_bytes_now\":\(s.engineBytesNow),"
                + "\"allocations\":\(s.allocations),\"subquery_runs\":\(s.subqueryRuns),"
                + "\"rows_deduplicated\":\(s.rowsDeduplicated),\(remoteJSON(s.remote ?? RemoteStats())),"
                + "\"operators\":[\(ops)]}"
        }
        return out + "}"
    }

    /// The fetch figures: zero for a query on the in-memory store.
    private static func remoteJSON(_ r: RemoteStats) -> String {
        "\"round_trips\":\(r.roundTrips),\"rows_fetched\":\(r.rowsFetched),\"flights_shared\":\(r.flightsShared),"
            + "\"cache_hits\":\(r.cacheHits),\"batch_hit_rate\":\(String(format: "%.4f", r.batchHitRate)),"
            + "\"bytes_fetched\":\(r.bytesFetched),\"scans\":\(r.scans),\"rounds\":\(r.rounds),"
            + "\"fetch_ms\":\(String(format: "%.3f", r.fetchMilliseconds))"
    }

    // MARK: EDN

    private static func edn(_ result: QueryResult) -> String {
        let write = EDNWriter.write as (Value) -> String
        func map(_ row: ResultRow) -> String {
            guard let keys = result.keys else { return "[" + row.map(write).joined(separator: " ") + "]" }
            let names: [String] = keys.names.map { name in
                switch keys.style {
                case .keys: ":" + name
                case .strs: EDNWriter.quote(name)
                case .syms: name
                }
            }
            return "{" + zip(names, row).map { "\($0) \(write($1))" }.joined(separator: ", ") + "}"
        }
        switch result.shape {
        case .scalar:
            return result.rows.first.map { result.keys == nil ? write($0[0]) : map($0) } ?? "nil"
        case .collection:
            return "[" + result.rows.map { write($0[0]) }.joined(separator: " ") + "]"
        case .tuple:
            return result.rows.first.map(map) ?? "nil"
        case .relation:
            let items = result.rows.map(map).joined(separator: " ")
            // A set only when the rows are one: ordered rows, maps and bags are vectors.
            return result.ordered || result.keys != nil || result.isBag ? "[\(items)]" : "#{\(items)}"
        }
    }

    // MARK: Table

    private static func cell(_ value: Value) -> String {
        switch value {
        case .string(let s): s
        default: EDNWriter.write(value)
        }
    }

    private static func table(_ result: QueryResult, stats: Bool) -> String {
        var table = Table(headers: result.columns)
        for row in result.rows { table.append(row.map(cell)) }
        var out = result.rows.isEmpty ? "(no rows)" : table.render()
        if !out.hasSuffix("\n") { out += "\n" }
        if !result.rows.isEmpty { out += "(\(result.rows.count) row\(result.rows.count == 1 ? "" : "s"))\n" }
        if stats {
            let s = result.stats
            out += "\nwall: \(String(format: "%.3f", s.wallMilliseconds)) ms, engine bytes now \(s.engineBytesNow), "
                + "peak \(s.engineBytesPeak), allocations \(s.allocations), subquery runs \(s.subqueryRuns), "
                + "rows deduplicated \(s.rowsDeduplicated)\n"
            let r = s.remote ?? RemoteStats()
            out += "round trips \(r.roundTrips), rows fetched \(r.rowsFetched), flights shared \(r.flightsShared), "
                + "cache hits \(r.cacheHits), batch hit rate \(String(format: "%.3f", r.batchHitRate)), "
                + "scans \(r.scans), rounds \(r.rounds), fetch \(String(format: "%.3f", r.fetchMilliseconds)) ms\n"
            var ops = Table(headers: ["operator", "rows"], rightAligned: [1])
            for o in s.operatorRows { ops.append([o.op, String(o.rows)]) }
            out += ops.render()
        }
        return out.hasSuffix("\n") ? String(out.dropLast()) : out
    }
}
