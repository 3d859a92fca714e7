import Quarry

/// A random conjunctive query, kept as a structure so the reference
/// evaluator reads it directly and only the engine sees its EDN text.
struct RandomQuery {
    enum Term {
        case variable(Int)
        case constant(Value)
        case blank

        var text: String {
            switch self {
            case .variable(let i): "?v\(i)"
            case .constant(let v): EDNWriter.write(v)
            case .blank: "_"
            }
        }
    }

    struct Pattern {
        let e: Term
        let a: Term
        let v: Term
        let tx: Term?

        var terms: [Term] { [e, a, v] + (tx.map { [$0] } ?? []) }
        var text: String { "[" + terms.map(\.text).joined(separator: " ") + "]" }
    }

    enum Predicate {
        /// `(op ?v c)` with an integer constant, on a variable that only ever holds numbers.
        case compare(op: String, variable: Int, constant: Int64)
        /// `(= ?a ?b)` or `(!= ?a ?b)`.
        case equality(negated: Bool, Int, Int)

        var text: String {
            switch self {
            case .compare(let op, let v, let c): "[(\(op) ?v\(v) \(c))]"
            case .equality(let negated, let a, let b): "[(\(negated ? "!=" : "=") ?v\(a) ?v\(b))]"
            }
        }
    }

    /// A collection input `[?v ...]` bound to integers.
    struct Input {
        let variable: Int
        let values: [Int64]
        var edn: String { "[" + values.map(String.init).joined(separator: " ") + "]" }
    }

    let find: [Int]
    let input: Input?
    let patterns: [Pattern]
    let predicates: [Predicate]
    /// Patterns over bound variables only, each wrapped in `(not ...)`.
    let negations: [Pattern]

    var text: String {
        let inClause = input.map { " :in $ [?v\($0.variable) ...]" } ?? ""
        let clauses = patterns.map(\.text) + predicates.map(\.text) + negations.map { "(not \($0.text))" }
        return "[:find " + find.map { "?v\($0)" }.joined(separator: " ") + inClause
            + " :where " + clauses.joined(separator: " ") + "]"
    }

    static let variablePool = 4

    init(for db: RandomDatabase, using rng: inout SplitMix) {
        var bound = Set<Int>()
        /// Variables bound to something other than a number somewhere.
        var nonNumeric = Set<Int>()
        var input: Input?
        if rng.chance(0.25) {
            let v = Int.random(in: 0..<Self.variablePool, using: &rng)
            input = Input(variable: v,
                          values: (0..<Int.random(in: 0...3, using: &rng)).map { _ in
                              rng.chance(0.2) ? 0 : db.randomEntity(using: &rng)
                          })
            bound.insert(v)
        }
        var patterns: [Pattern] = []
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            let spec = RandomDatabase.attributes.randomElement(using: &rng)!
            let variableAttribute = rng.chance(0.15)
            func variable() -> Term { .variable(Int.random(in: 0..<Self.variablePool, using: &rng)) }
            let e: Term = rng.chance(0.2) ? .constant(.int(db.randomEntity(using: &rng)))
                : variable()
            let a: Term = variableAttribute ? variable() : .constant(.keyword(Keyword(spec.keyword)))
            let v: Term
            switch Int.random(in: 0..<10, using: &rng) {
            case 0..<2: v = .constant(spec.values(&rng, db.randomEntity(using: &rng)))
            case 2: v = .blank
            default: v = variable()
            }
            let tx: Term? = rng.chance(0.1) ? (rng.chance(0.5) ? variable() : .constant(.int(Database.firstTx))) : nil
            if case .variable(let i) = a { nonNumeric.insert(i) }
            if case .variable(let i) = v, variableAttribute || !spec.numeric { nonNumeric.insert(i) }
            let pattern = Pattern(e: e, a: a, v: v, tx: tx)
            for case .variable(let i) in pattern.terms { bound.insert(i) }
            patterns.append(pattern)
        }
        if bound.isEmpty {
            // Every term was a constant or blank: give the find something to return.
            let first = patterns[0]
            patterns[0] = Pattern(e: .variable(0), a: first.a, v: first.v, tx: first.tx)
            bound.insert(0)
        }
        let boundList = bound.sorted()
        var predicates: [Predicate] = []
        for _ in 0..<Int.random(in: 0...2, using: &rng) {
            let numeric = boundList.filter { !nonNumeric.contains($0) }
            if rng.chance(0.5), let v = numeric.randomElement(using: &rng) {
                predicates.append(.compare(op: ["<", "<=", ">", ">="].randomElement(using: &rng)!, variable: v,
                                           constant: Int64.random(in: 0...5, using: &rng)))
            } else {
                predicates.append(.equality(negated: rng.chance(0.6), boundList.randomElement(using: &rng)!,
                                            boundList.randomElement(using: &rng)!))
            }
        }
        var negations: [Pattern] = []
        if rng.chance(0.2) {
            let spec = RandomDatabase.attributes.randomElement(using: &rng)!
            func term() -> Term {
                rng.chance(0.7) ? .variable(boundList.randomElement(using: &rng)!) : .blank
            }
            // The entity is always a bound variable, so the negation is tied to the outer bindings.
            negations.append(Pattern(e: .variable(boundList.randomElement(using: &rng)!),
                                     a: .constant(.keyword(Keyword(spec.keyword))),
                                     v: rng.chance(0.3) ? .constant(spec.values(&rng, db.randomEntity(using: &rng))) : term(),
                                     tx: nil))
        }
        var find = boundList.filter { _ in rng.chance(0.6) }
        if find.isEmpty { find = [boundList.randomElement(using: &rng)!] }
        self.find = find
        self.input = input
        self.patterns = patterns
        self.predicates = predicates
        self.negations = negations
    }
}
