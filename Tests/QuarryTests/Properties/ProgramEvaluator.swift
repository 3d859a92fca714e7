import Foundation
import Quarry

/// The reference for ``RandomProgram``: bindings as dictionaries, every
/// pattern matched against every fact in the order written, rules computed
/// bottom-up to a fixpoint over whole relations, subqueries run once per
/// outer binding, aggregates over the set of find and `:with` tuples.
/// Deliberately naive, and sharing nothing with the engine.
struct ProgramEvaluator {
    typealias Binding = [Int: Value]

    let db: RandomDatabase
    /// Each rule's relation: tuples of its parameters.
    private(set) var relations: [String: Set<[Value]>] = [:]

    init(db: RandomDatabase, rules: [RandomProgram.Rule]) {
        self.db = db
        computeRules(rules)
    }

    /// The rows of `program`, as a multiset (each row once per time it is a result).
    func rows(_ program: RandomProgram, input: Value? = nil) -> [[Value]] {
        var start: [Binding] = [[:]]
        if let c = program.collectionInput { start = c.values.map { [c.variable: .int($0)] } }
        if let v = program.inputVariable, let input { start = start.map { $0.merging([v: input]) { a, _ in a } } }
        let bindings = evaluate(program.clauses, start)
        var rows: [[Value]]
        if program.hasAggregates {
            rows = aggregate(program, bindings)
        } else {
            let vars = program.find.map { if case .variable(let v) = $0 { v } else { -1 } }
            rows = Array(Set(bindings.map { b in vars.map { b[$0]! } }))
        }
        switch program.shape {
        case .relation, .collection: return rows
        case .scalar, .tuple: return Array(rows.prefix(1))
        }
    }

    // MARK: Clauses

    func evaluate(_ clauses: [RandomProgram.Clause], _ bindings: [Binding]) -> [Binding] {
        clauses.reduce(bindings) { bs, c in apply(c, bs) }
    }

    private func apply(_ clause: RandomProgram.Clause, _ bindings: [Binding]) -> [Binding] {
        switch clause {
        case .pattern(let p):
            return bindings.flatMap { b in db.facts.compactMap { match(p, $0, b) } }
        case .compare(let op, let x, let c):
            return bindings.filter { ReferenceEvaluator.compare(op, $0[x]!, c) }
        case .equality(let negated, let l, let r):
            return bindings.filter { ($0[l]! == $0[r]!) != negated }
        case .function(let op, let input, let c, let out):
            return bindings.map { b in b.merging([out: Self.call(op, b[input]!, c)]) { a, _ in a } }
        case .not(let inner):
            return bindings.filter { evaluate(inner, [$0]).isEmpty }
        case .notJoin(let vars, let inner):
            return bindings.filter { b in evaluate(inner, [b.filter { vars.contains($0.key) }]).isEmpty }
        case .or(let branches):
            return bindings.filter { b in branches.contains { !evaluate($0, [b]).isEmpty } }
        case .orJoin(let vars, let branches):
            return bindings.flatMap { b -> [Binding] in
                let given = b.filter { vars.contains($0.key) }
                var found = Set<[Value]>()
                for branch in branches {
                    for r in evaluate(branch, [given]) { found.insert(vars.map { r[$0]! }) }
                }
                return found.map { row in b.merging(Dictionary(uniqueKeysWithValues: zip(vars, row))) { a, _ in a } }
            }
        case .rule(let name, let args):
            let tuples = relations[name] ?? []
            return bindings.flatMap { b in tuples.compactMap { unify(args, $0, b) } }
        case .subquery(let s):
            return bindings.flatMap { b -> [Binding] in
                let rows = self.rows(s.inner, input: b[s.argument]!)
                switch s.shape {
                case .relation:
                    return rows.map { row in b.merging(Dictionary(uniqueKeysWithValues: zip(s.results, row))) { a, _ in a } }
                case .scalar, .tuple:
                    guard let row = rows.first else { return [] }
                    return [b.merging(Dictionary(uniqueKeysWithValues: zip(s.results, row))) { a, _ in a }]
                case .collection:
                    return Set(rows.map { $0[0] }).map { v in b.merging([s.results[0]: v]) { a, _ in a } }
                }
            }
        }
    }

    private func match(_ p: RandomProgram.Pattern, _ f: RandomDatabase.Fact, _ binding: Binding) -> Binding? {
        unify([p.e, p.a, p.v], [f.e, f.a, f.v], binding)
    }

    private func unify(_ terms: [RandomProgram.Term], _ values: [Value], _ binding: Binding) -> Binding? {
        ReferenceEvaluator.unify(terms, values, binding)
    }

    // MARK: Rules

    private mutating func computeRules(_ rules: [RandomProgram.Rule]) {
        for r in rules { relations[r.name] = [] }
        var changed = true
        while changed {
            changed = false
            for rule in rules {
                for b in evaluate(rule.body, [[:]]) {
                    if relations[rule.name]!.insert(rule.parameters.map { b[$0]! }).inserted { changed = true }
                }
            }
        }
    }

    // MARK: Functions and aggregates

    static func call(_ op: String, _ x: Value, _ c: Int64) -> Value {
        if case .int(let i) = x {
            switch op {
            case "+": return .int(i + c)
            case "-": return .int(i - c)
            case "*": return .int(i * c)
            case "neg": return .int(-i)
            case "quot": return .int(i / c)
            case "rem": return .int(i % c)
            default: let r = i % c; return .int(r != 0 && (r < 0) != (c < 0) ? r + c : r)
            }
        }
        let n = number(x), d = Double(c)
        switch op {
        case "+": return .double(n + d)
        case "-": return .double(n - d)
        case "*": return .double(n * d)
        case "neg": return .double(-n)
        default:
            let q = (n / d).rounded(.towardZero)
            if op == "quot" { return .double(q) }
            let r = n - q * d
            return .double(op == "rem" || r == 0 || (n > 0) == (d > 0) ? r : r + d)
        }
    }

    static func number(_ v: Value) -> Double {
        switch v {
        case .int(let i): Double(i)
        case .double(let d): d
        default: .nan
        }
    }

    /// Datomic's aggregation: the set of tuples of the find's variables and
    /// the `:with` ones, grouped by the find's plain variables; each
    /// aggregate reads its variable in every tuple of its group.
    private func aggregate(_ program: RandomProgram, _ bindings: [Binding]) -> [[Value]] {
        var vars: [Int] = []
        for e in program.find {
            switch e {
            case .variable(let v), .aggregate(_, let v): if !vars.contains(v) { vars.append(v) }
            }
        }
        for w in program.with where !vars.contains(w) { vars.append(w) }
        let tuples = Set(bindings.map { b in vars.map { b[$0]! } })
        let position = Dictionary(uniqueKeysWithValues: vars.enumerated().map { ($1, $0) })
        let groupVars = program.find.compactMap { if case .variable(let v) = $0 { v } else { nil } }
        let groups = Dictionary(grouping: tuples) { t in groupVars.map { t[position[$0]!] } }
        return groups.map { key, members in
            var row: [Value] = []
            var k = 0
            for e in program.find {
                switch e {
                case .variable:
                    row.append(key[k])
                    k += 1
                case .aggregate(let name, let v):
                    row.append(Self.aggregate(name, members.map { $0[position[v]!] }))
                }
            }
            return row
        }
    }

    static func aggregate(_ name: String, _ values: [Value]) -> Value {
        switch name {
        case "count": return .int(Int64(values.count))
        case "count-distinct": return .int(Int64(Set(values).count))
        case "sum":
            if values.allSatisfy({ if case .int = $0 { true } else { false } }) {
                return .int(values.reduce(0) { acc, v in if case .int(let i) = v { acc + i } else { acc } })
            }
            return .double(values.map(number).reduce(0, +))
        case "avg": return .double(values.map(number).reduce(0, +) / Double(values.count))
        case "min": return values.min { number($0) < number($1) }!
        default: return values.max { number($0) < number($1) }!
        }
    }
}
