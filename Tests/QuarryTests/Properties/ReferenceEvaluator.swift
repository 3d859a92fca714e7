import Quarry

/// A deliberately naive evaluator: every pattern is matched against every
/// fact, binding by binding, in the order written; predicates filter the
/// complete bindings; the find variables are projected into a set. Nothing
/// here is shared with the engine.
enum ReferenceEvaluator {
    typealias Binding = [Int: Value]

    static func evaluate(_ query: RandomQuery, over db: RandomDatabase) -> Set<[Value]> {
        var bindings: [Binding] = [[:]]
        if let input = query.input {
            bindings = input.values.map { [input.variable: .int($0)] }
        }
        for pattern in query.patterns {
            bindings = bindings.flatMap { binding in
                db.facts.compactMap { fact in match(pattern, fact, binding) }
            }
        }
        bindings = bindings.filter { b in query.predicates.allSatisfy { holds($0, b) } }
        bindings = bindings.filter { b in
            query.negations.allSatisfy { p in !db.facts.contains { match(p, $0, b) != nil } }
        }
        return Set(bindings.map { b in query.find.map { b[$0]! } })
    }

    private static func match(_ p: RandomQuery.Pattern, _ f: RandomDatabase.Fact, _ binding: Binding) -> Binding? {
        unify(p.terms, [f.e, f.a, f.v] + (p.tx == nil ? [] : [f.tx]), binding)
    }

    /// `binding` extended so that each term equals its value, or nil when
    /// a constant or an earlier binding disagrees. Shared with ``ProgramEvaluator``.
    static func unify(_ terms: [RandomQuery.Term], _ values: [Value], _ binding: Binding) -> Binding? {
        var b = binding
        for (term, value) in zip(terms, values) {
            switch term {
            case .blank: continue
            case .constant(let c): if c != value { return nil }
            case .variable(let i):
                if let existing = b[i] {
                    if existing != value { return nil }
                } else {
                    b[i] = value
                }
            }
        }
        return b
    }

    private static func holds(_ p: RandomQuery.Predicate, _ b: Binding) -> Bool {
        switch p {
        case .compare(let op, let v, let c):
            return compare(op, b[v]!, c)
        case .equality(let negated, let l, let r):
            return (b[l]! == b[r]!) != negated
        }
    }

    /// `(op value constant)` for `<`, `<=`, `>` and `>=`, by numeric value.
    /// Shared with ``ProgramEvaluator``.
    static func compare(_ op: String, _ value: Value, _ constant: Int64) -> Bool {
        let x = number(value), y = Double(constant)
        switch op {
        case "<": return x < y
        case "<=": return x <= y
        case ">": return x > y
        default: return x >= y
        }
    }

    private static func number(_ v: Value) -> Double {
        switch v {
        case .int(let i): Double(i)
        case .double(let d): d
        default: .nan
        }
    }
}
