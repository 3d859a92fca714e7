import ArgumentParser
import Foundation
import Quarry
import QuarryReport

/// `quarry-bench rules`: recursive rules. DataScript's `follows` benchmark
/// on its wide and long databases (as its bench generates them), a chain
/// walked from a bound start, and a transitive closure.
struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Recursive rules: DataScript's follows benchmark, a bound-start chain, a transitive closure."
    )

    @OptionGroup var common: CommonOptions

    @Option(name: .long, help: "Runs of each workload (the median is reported).")
    var repetitions = 5

    @Option(name: .long, help: "Nodes of the chain walked from a bound start.")
    var chain = 10_000

    @Option(name: .long, help: "Edges of the chain whose transitive closure is computed.")
    var closure = 2_000

    func validate() throws {
        guard repetitions > 0 else { throw ValidationError("repetitions must be positive") }
        guard chain >= 2, closure >= 1 else { throw ValidationError("the chain needs 2 nodes and the closure 1 edge") }
    }

    /// DataScript's rule: left-linear, as its bench writes it.
    static let follows = "[[(follows ?x ?y) [?x :follows ?y]] [(follows ?x ?y) [?t :follows ?y] (follows ?x ?t)]]"
    /// Right-linear reach, the way a walk from a start is usually written.
    static let reach = "[[(reach ?x ?y) [?x :follows ?y]] [(reach ?x ?y) [?x :follows ?t] (reach ?t ?y)]]"
    /// Left-linear reach: the bound start is passed on unchanged.
    static let reachLeft = "[[(reach ?x ?y) [?x :follows ?y]] [(reach ?x ?y) (reach ?x ?t) [?t :follows ?y]]]"
    static let schema = "{:db/ident :follows :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}"

    /// DataScript's wide-db: a tree `depth` levels deep, `width` children per node, ids as its bench numbers them.
    static func wide(depth: Int, width: Int) -> String {
        var out = "[" + schema + "\n"
        func node(_ id: Int, _ depth: Int) {
            guard depth > 0 else {
                out += "{:db/id \(id) :name \"Ivan\"}\n"
                return
            }
            let children = (0..<width).map { id * width + $0 }
            out += "{:db/id \(id) :name \"Ivan\" :follows [" + children.map(String.init).joined(separator: " ") + "]}\n"
            for c in children { node(c, depth - 1) }
        }
        node(1, depth)
        return out + "]"
    }

    /// DataScript's long-db: `width` chains of `depth` edges.
    static func long(depth: Int, width: Int) -> String {
        var out = "[" + schema + "\n"
        for x in 0..<width {
            for y in 0..<depth {
                let from = x * (depth + 1) + y + 1
                out += "{:db/id \(from) :name \"Ivan\" :follows \(from + 1)} {:db/id \(from + 1) :name \"Ivan\"}\n"
            }
        }
        return out + "]"
    }

    /// One chain 1 -> 2 -> ... -> `nodes`.
    static func chain(_ nodes: Int) -> String {
        "[" + schema + "\n" + (1..<nodes).map { "[:db/add \($0) :follows \($0 + 1)]" }.joined(separator: "\n") + "]"
    }

    func run() throws {
        common.warnIfDebug()
        let all = "[:find ?e ?e2 :in $ % :where (follows ?e ?e2)]"
        var workloads: [(name: String, data: String, query: String, rules: String, target: Double?)] = []
        for (d, w) in [(3, 3), (5, 3), (7, 3), (4, 6)] {
            workloads.append(("follows, wide \(d)×\(w)", Self.wide(depth: d, width: w), all, Self.follows, nil))
        }
        for (d, w) in [(10, 3), (30, 3), (30, 5)] {
            workloads.append(("follows, long \(d)×\(w)", Self.long(depth: d, width: w), all, Self.follows,
                              d == 30 && w == 5 ? 0.5 : nil))
        }
        workloads.append(("reach from a bound start, right-linear, chain of \(Format.grouped(chain))", Self.chain(chain),
                          "[:find ?y :in $ % :where (reach 1 ?y)]", Self.reach, 10))
        workloads.append(("reach from a bound start, left-linear, chain of \(Format.grouped(chain))", Self.chain(chain),
                          "[:find ?y :in $ % :where (reach 1 ?y)]", Self.reachLeft, 10))
        workloads.append(("transitive closure, chain of \(Format.grouped(closure)) edges", Self.chain(closure + 1),
                          "[:find ?x ?y :in $ % :where (reach ?x ?y)]", Self.reach, 1000))
        var results: [RulesResult] = []
        for w in workloads {
            let db = try Database.load(edn: w.data)
            let query = try PreparedQuery(w.query)
            let rules = QueryInput.rules(w.rules)
            var times: [Double] = []
            var rows = 0
            var peak: UInt64 = 0
            for _ in 0..<repetitions {
                var result: QueryResult?
                let m = try measure { result = try db.query(query, [rules]) }
                times.append(m.seconds * 1000)
                rows = result!.rows.count
                peak = result!.stats.engineBytesPeak
            }
            results.append(RulesResult(workload: w.name, datoms: db.count, rows: rows, milliseconds: median(times),
                                       engineBytesPeak: peak, targetMilliseconds: w.target))
        }
        let report = RulesReport(machine: MachineInfo(), results: results)
        if common.json {
            try printJSON(report)
        } else {
            print(report.table)
        }
    }
}

struct RulesResult: Encodable {
    var workload: String
    var datoms: Int
    var rows: Int
    var milliseconds: Double
    var engineBytesPeak: UInt64
    var targetMilliseconds: Double?
    enum CodingKeys: String, CodingKey {
        case workload, datoms, rows, milliseconds = "ms", engineBytesPeak = "engine_bytes_peak"
        case targetMilliseconds = "target_ms"
    }
}

struct RulesReport: Encodable {
    var benchmark = "rules"
    var machine: MachineInfo
    var results: [RulesResult]

    var table: String {
        var t = Table(headers: ["workload", "datoms", "rows", "ms", "engine peak KiB", "target ms", "met"],
                      rightAligned: [1, 2, 3, 4, 5])
        for r in results {
            t.append([r.workload, Format.grouped(r.datoms), Format.grouped(r.rows), Format.fixed(r.milliseconds, 3),
                      Format.grouped(Int(r.engineBytesPeak / 1024)),
                      r.targetMilliseconds.map { Format.fixed($0, 1) } ?? "",
                      r.targetMilliseconds.map { r.milliseconds <= $0 ? "yes" : "no" } ?? ""])
        }
        return t.render()
    }
}
