import Quarry

/// A random query over the whole language the reference evaluator knows:
/// data patterns, comparisons and (in)equalities, function expressions,
/// `not`, `not-join`, `or`, `or-join` (with `and`), rules (recursive and
/// mutually recursive, one with a `not`), aggregates with `:with`, and
/// correlated subqueries with every binding form. Kept as a structure so
/// that ``ProgramEvaluator`` reads it directly; only the engine sees the
/// EDN text.
struct RandomProgram {
    typealias Term = RandomQuery.Term
    typealias Pattern = RandomQuery.Pattern

    indirect enum Clause {
        case pattern(Pattern)
        case compare(op: String, variable: Int, constant: Int64)
        case equality(negated: Bool, Int, Int)
        /// `[(op ?in constant) ?out]`, or `[(- ?in) ?out]` when `op` is "neg".
        case function(op: String, input: Int, constant: Int64, output: Int)
        case not([Clause])
        case notJoin([Int], [Clause])
        /// Branches that only read bound variables and their own locals: a filter.
        case or([[Clause]])
        case orJoin([Int], [[Clause]])
        case rule(String, [Term])
        case subquery(Subquery)
    }

    enum FindElement {
        case variable(Int)
        case aggregate(String, Int)
    }

    enum Shape {
        case relation, scalar, collection, tuple
    }

    /// `[(q inner $ ?argument) binding]`; the inner query's `:in` variable
    /// is `inner.inputVariable`.
    struct Subquery {
        let inner: RandomProgram
        let argument: Int
        let shape: Shape
        /// The outer variables the binding form binds, in order.
        let results: [Int]
    }

    struct Rule {
        let name: String
        let parameters: [Int]
        let body: [Clause]
    }

    var find: [FindElement]
    var shape: Shape
    var with: [Int]
    /// A collection input `[?v ...]` (top level) bound to these values.
    var collectionInput: (variable: Int, values: [Int64])?
    /// A scalar input (a subquery's argument).
    var inputVariable: Int?
    var clauses: [Clause]
    var rules: [Rule]

    var hasAggregates: Bool { find.contains { if case .aggregate = $0 { true } else { false } } }

    // MARK: Text

    static func v(_ i: Int) -> String { "?v\(i)" }

    var text: String {
        var findText = find.map { element -> String in
            switch element {
            case .variable(let i): Self.v(i)
            case .aggregate(let name, let i): "(\(name) \(Self.v(i)))"
            }
        }.joined(separator: " ")
        switch shape {
        case .relation, .tuple: break
        case .scalar: findText += " ."
        case .collection: findText = "[\(findText) ...]"
        }
        var inputs = ["$"]
        if !rules.isEmpty { inputs.append("%") }
        if let c = collectionInput { inputs.append("[\(Self.v(c.variable)) ...]") }
        if let i = inputVariable { inputs.append(Self.v(i)) }
        let withText = with.isEmpty ? "" : " :with " + with.map(Self.v).joined(separator: " ")
        return "[:find \(findText)\(withText) :in \(inputs.joined(separator: " ")) :where "
            + clauses.map(Self.text).joined(separator: " ") + "]"
    }

    /// The inputs after `$`, in `:in` order.
    var inputTexts: [String] {
        var out: [String] = []
        if !rules.isEmpty { out.append("[" + rules.map(Self.text).joined(separator: " ") + "]") }
        if let c = collectionInput { out.append("[" + c.values.map(String.init).joined(separator: " ") + "]") }
        return out
    }

    static func text(_ rule: Rule) -> String {
        "[(\(rule.name) " + rule.parameters.map(v).joined(separator: " ") + ") "
            + rule.body.map(text).joined(separator: " ") + "]"
    }

    /// The variables written in `text`.
    private static func variables(_ text: String) -> Set<String> {
        var out: Set<String> = []
        var current: String?
        for ch in text + " " {
            if ch == "?" { current = "?" } else if let c = current {
                if ch.isLetter || ch.isNumber || ch == "_" { current = c + String(ch) } else {
                    if c.count > 1 { out.insert(c) }
                    current = nil
                }
            }
        }
        return out
    }

    static func text(_ clause: Clause) -> String {
        func branch(_ cs: [Clause]) -> String { cs.count == 1 ? text(cs[0]) : "(and " + cs.map(text).joined(separator: " ") + ")" }
        switch clause {
        case .pattern(let p): return p.text
        case .compare(let op, let x, let c): return "[(\(op) \(v(x)) \(c))]"
        case .equality(let negated, let a, let b): return "[(\(negated ? "!=" : "=") \(v(a)) \(v(b)))]"
        case .function(let op, let input, let c, let out):
            return op == "neg" ? "[(- \(v(input))) \(v(out))]" : "[(\(op) \(v(input)) \(c)) \(v(out))]"
        case .not(let cs): return "(not " + cs.map(text).joined(separator: " ") + ")"
        case .notJoin(let vars, let cs):
            return "(not-join [" + vars.map(v).joined(separator: " ") + "] " + cs.map(text).joined(separator: " ") + ")"
        case .or(let branches):
            // As DataScript, an or's branches use the same variables; branches
            // with locals of their own are an or-join on what they share.
            let texts = branches.map(branch)
            let sets = texts.map(variables)
            guard sets.allSatisfy({ $0 == sets[0] }) else {
                let shared = sets.dropFirst().reduce(sets[0]) { $0.intersection($1) }
                return "(or-join [" + shared.sorted().joined(separator: " ") + "] " + texts.joined(separator: " ") + ")"
            }
            return "(or " + texts.joined(separator: " ") + ")"
        case .orJoin(let vars, let branches):
            return "(or-join [" + vars.map(v).joined(separator: " ") + "] " + branches.map(branch).joined(separator: " ") + ")"
        case .rule(let name, let args): return "(\(name) " + args.map(\.text).joined(separator: " ") + ")"
        case .subquery(let s):
            let binding: String
            switch s.shape {
            case .relation: binding = "[[" + s.results.map(v).joined(separator: " ") + "]]"
            case .scalar: binding = v(s.results[0])
            case .collection: binding = "[\(v(s.results[0])) ...]"
            case .tuple: binding = "[" + s.results.map(v).joined(separator: " ") + "]"
            }
            return "[(q \(s.inner.text) $ \(v(s.argument))) \(binding)]"
        }
    }
}

// MARK: - Generation

extension RandomProgram {
    /// What a variable holds, one kind for all its bindings: patterns only
    /// reuse a variable where the attribute's values are of its kind, so
    /// that whatever order the engine joins in, a function never meets a
    /// value of another kind (that would be an error, not an empty join).
    enum Kind: Hashable {
        /// Integers: entity ids and integer attributes.
        case int
        /// Doubles.
        case double
        /// Strings and keywords.
        case text

        var numeric: Bool { self != .text }

        static func of(_ spec: RandomDatabase.AttributeSpec) -> Kind {
            spec.keyword == ":t/dbl" ? .double : spec.numeric ? .int : .text
        }
    }

    /// The variables bound so far in one scope, and their kinds.
    struct Scope {
        var kinds: [Int: Kind] = [:]
        var bound: [Int] { kinds.keys.sorted() }
        func variables(_ kind: Kind) -> [Int] { kinds.filter { $0.value == kind }.map(\.key).sorted() }
        var numeric: [Int] { kinds.filter { $0.value.numeric }.map(\.key).sorted() }
        mutating func bind(_ v: Int, _ kind: Kind) {
            if kinds[v] == nil { kinds[v] = kind }
        }
    }

    /// A rule a query may call: its name and the kinds of its parameters.
    struct RuleSignature {
        let name: String
        let kinds: [Kind]
    }


    final class Generator {
        var rng: SplitMix
        let db: RandomDatabase
        private(set) var next = 0
        var signatures: [RuleSignature] = []

        init(rng: SplitMix, db: RandomDatabase) {
            self.rng = rng
            self.db = db
        }

        func fresh() -> Int {
            defer { next += 1 }
            return next
        }

        func chance(_ p: Double) -> Bool { rng.chance(p) }
        func pick<T>(_ xs: [T]) -> T { xs.randomElement(using: &rng)! }
        func count(_ r: ClosedRange<Int>) -> Int { Int.random(in: r, using: &rng) }

        // MARK: Patterns

        /// A data pattern that uses one of `use` (when given) and binds its
        /// other variables afresh or from the scope, each where the
        /// attribute's values are of its kind.
        func pattern(_ scope: inout Scope, use: [Int]) -> Pattern {
            let anchor = use.isEmpty ? nil : pick(use)
            let anchorKind = anchor.flatMap { scope.kinds[$0] }
            // An integer anchor may stand for the entity; any anchor may be the value, of an attribute of its kind.
            let anchorInE = anchorKind == .int && chance(0.6)
            let specs = anchorKind == nil || anchorInE ? RandomDatabase.attributes
                : RandomDatabase.attributes.filter { Kind.of($0) == anchorKind }
            let spec = pick(specs)
            let kind = Kind.of(spec)
            func reuse(_ k: Kind, _ p: Double, except: Int? = nil) -> Int {
                let candidates = scope.variables(k).filter { $0 != except }
                return !candidates.isEmpty && chance(p) ? pick(candidates) : fresh()
            }
            // Entities join often (few ids, many facts each); values rarely, and never with the same pattern's entity.
            let e: Term = anchorInE ? .variable(anchor!)
                : chance(0.1) ? .constant(.int(db.randomEntity(using: &rng))) : .variable(reuse(.int, 0.6))
            let eVariable: Int? = if case .variable(let i) = e { i } else { nil }
            let v: Term
            if let anchor, !anchorInE {
                v = .variable(anchor)
            } else {
                switch count(0...9) {
                case 0...1: v = .constant(spec.values(&rng, db.randomEntity(using: &rng)))
                case 2: v = .blank
                default: v = .variable(reuse(kind, 0.25, except: eVariable))
                }
            }
            let p = Pattern(e: e, a: .constant(.keyword(Keyword(spec.keyword))), v: v, tx: nil)
            if case .variable(let i) = p.e { scope.bind(i, .int) }
            if case .variable(let i) = p.v { scope.bind(i, kind) }
            return p
        }

        /// A pattern whose variables are all new but `anchor`s (locals of a
        /// `not` or a branch must not meet variables bound later outside).
        func localPattern(anchors: [Int], scope: Scope) -> (Pattern, Scope) {
            var local = Scope(kinds: scope.kinds.filter { anchors.contains($0.key) })
            let p = pattern(&local, use: anchors)
            return (p, local)
        }

        // MARK: Clauses

        /// 1 to 3 patterns, then up to 3 other clauses, over `scope`.
        func clauses(_ scope: inout Scope, depth: Int, allowRules: Bool, allowSubqueries: Bool) -> [Clause] {
            var out: [Clause] = []
            for _ in 0..<count(1...3) {
                out.append(.pattern(pattern(&scope, use: scope.bound.isEmpty || chance(0.3) ? [] : [pick(scope.bound)])))
            }
            for _ in 0..<count(0...3) {
                if let c = clause(&scope, depth: depth, allowRules: allowRules, allowSubqueries: allowSubqueries) {
                    out.append(c)
                }
            }
            return out
        }

        func clause(_ scope: inout Scope, depth: Int, allowRules: Bool, allowSubqueries: Bool) -> Clause? {
            let bound = scope.bound
            guard !bound.isEmpty else { return nil }
            switch count(0...9) {
            case 0:
                let numeric = scope.numeric
                guard let x = numeric.isEmpty ? nil : pick(numeric) else { return nil }
                return .compare(op: pick(["<", "<=", ">", ">="]), variable: x, constant: Int64(count(0...5)))
            case 1:
                return .equality(negated: chance(0.6), pick(bound), pick(bound))
            case 2:
                let numeric = scope.numeric
                guard !numeric.isEmpty else { return nil }
                let x = pick(numeric), out = fresh()
                let op = pick(["+", "-", "*", "quot", "rem", "mod", "neg"])
                let constant = Int64(["quot", "rem", "mod"].contains(op) ? pick([2, 3, -2]) : count(0...3))
                scope.bind(out, scope.kinds[x]!)
                return .function(op: op, input: x, constant: constant, output: out)
            case 3 where depth > 0:
                // not: one or two patterns tied to a bound variable, and their own locals.
                let anchors = [pick(bound)]
                var (p, local) = localPattern(anchors: anchors, scope: scope)
                var inner: [Clause] = [.pattern(p)]
                if chance(0.4), let c = clause(&local, depth: depth - 1, allowRules: allowRules, allowSubqueries: false) {
                    inner.append(c)
                }
                return .not(inner)
            case 4 where depth > 0:
                let vars = Array(Set((0..<count(1...2)).map { _ in pick(bound) })).sorted()
                var (p, local) = localPattern(anchors: vars, scope: scope)
                var inner: [Clause] = [.pattern(p)]
                if chance(0.4), let c = clause(&local, depth: depth - 1, allowRules: allowRules, allowSubqueries: false) {
                    inner.append(c)
                }
                return .notJoin(vars, inner)
            case 5 where depth > 0:
                let anchors = [pick(bound)]
                let branches = (0..<count(1...3)).map { _ -> [Clause] in
                    var (p, local) = localPattern(anchors: anchors, scope: scope)
                    var branch: [Clause] = [.pattern(p)]
                    if chance(0.3), let c = clause(&local, depth: depth - 1, allowRules: false, allowSubqueries: false) {
                        branch.append(c)
                    }
                    return branch
                }
                return .or(branches)
            case 6 where depth > 0:
                // or-join over some bound variables and one new one, which every branch binds.
                let ints = scope.variables(.int)
                let joined = ints.isEmpty ? [] : Array(Set((0..<count(0...1)).map { _ in pick(ints) })).sorted()
                let out = fresh()
                let branches = (0..<count(1...3)).map { _ -> [Clause] in
                    var local = Scope(kinds: scope.kinds.filter { joined.contains($0.key) })
                    local.kinds[out] = nil
                    var branch: [Clause] = []
                    if let j = joined.first {
                        branch.append(.pattern(Pattern(e: .variable(j), a: .constant(.keyword(Keyword(":t/ref"))),
                                                       v: .variable(out), tx: nil)))
                        local.bind(out, .int)
                    } else {
                        let spec = pick(RandomDatabase.attributes.filter(\.numeric))
                        branch.append(.pattern(Pattern(e: .variable(out), a: .constant(.keyword(Keyword(spec.keyword))),
                                                       v: .blank, tx: nil)))
                        local.bind(out, .int)
                    }
                    if chance(0.4), let c = clause(&local, depth: depth - 1, allowRules: false, allowSubqueries: false) {
                        branch.append(c)
                    }
                    return branch
                }
                scope.bind(out, .int)
                return .orJoin(joined + [out], branches)
            case 7 where allowRules && !signatures.isEmpty:
                let sig = pick(signatures)
                var args: [Term] = []
                var newlyBound: [(Int, Kind)] = []
                for kind in sig.kinds {
                    let candidates = scope.variables(kind)
                    if !candidates.isEmpty, chance(0.5) {
                        args.append(.variable(pick(candidates)))
                    } else if chance(0.15) {
                        args.append(.constant(.int(db.randomEntity(using: &rng))))
                    } else {
                        let v = fresh()
                        args.append(.variable(v))
                        newlyBound.append((v, kind))
                    }
                }
                for (v, kind) in newlyBound { scope.bind(v, kind) }
                return .rule(sig.name, args)
            case 8 where allowSubqueries && depth > 0:
                return subquery(&scope, depth: depth - 1)
            default:
                return nil
            }
        }

        // MARK: Subqueries

        func subquery(_ scope: inout Scope, depth: Int) -> Clause? {
            let bound = scope.bound
            guard !bound.isEmpty else { return nil }
            let argument = pick(bound)
            let input = fresh()
            var inner = Scope()
            inner.bind(input, scope.kinds[argument]!)
            // The inner query starts from its input: its first pattern uses it.
            var clauses: [Clause] = [.pattern(pattern(&inner, use: [input]))]
            for _ in 0..<count(0...2) {
                if let c = clause(&inner, depth: depth, allowRules: false, allowSubqueries: true) { clauses.append(c) }
            }
            let innerBound = inner.bound
            let ints = inner.variables(.int)
            var find: [FindElement]
            var shape: Shape
            var resultKinds: [Kind]
            switch count(0...4) {
            case 0:
                let vars = Array(Set((0..<count(1...2)).map { _ in pick(innerBound) })).sorted()
                find = vars.map { .variable($0) }
                shape = .relation
                resultKinds = vars.map { inner.kinds[$0]! }
            case 1:
                let g = pick(innerBound)
                find = chance(0.5) ? [.aggregate("count", pick(innerBound))]
                    : [.variable(g), .aggregate("count-distinct", pick(innerBound))]
                shape = .relation
                resultKinds = find.map { element -> Kind in
                    if case .variable(let v) = element { inner.kinds[v]! } else { .int }
                }
            case 2:
                find = [.aggregate(pick(["count", "count-distinct"]), pick(innerBound))]
                shape = .scalar
                resultKinds = [.int]
            case 3:
                let x = pick(innerBound)
                find = [.variable(x)]
                shape = .collection
                resultKinds = [inner.kinds[x]!]
            default:
                guard !ints.isEmpty else { return nil }
                let x = pick(ints)
                find = [.aggregate("max", x), .aggregate("min", x)]
                shape = .tuple
                resultKinds = [.int, .int]
            }
            let program = RandomProgram(find: find, shape: shape, with: [], collectionInput: nil, inputVariable: input,
                                        clauses: clauses, rules: [])
            let results = resultKinds.map { _ in fresh() }
            for (r, k) in zip(results, resultKinds) { scope.bind(r, k) }
            return .subquery(Subquery(inner: program, argument: argument, shape: shape, results: results))
        }

        // MARK: Rules

        /// A few rules over the random schema: `edge`, its transitive
        /// closure `reach` (left or right recursive), mutually recursive
        /// `odd`/`even` path lengths, `valued` with two bodies, and
        /// `lonely` with a `not`.
        func rules() -> [Rule] {
            var out: [Rule] = []
            func ref(_ a: Int, _ b: Int) -> Clause {
                .pattern(Pattern(e: .variable(a), a: .constant(.keyword(Keyword(":t/ref"))), v: .variable(b), tx: nil))
            }
            func call(_ name: String, _ args: [Int]) -> Clause { .rule(name, args.map { .variable($0) }) }
            let (a, b, c) = (fresh(), fresh(), fresh())
            out.append(Rule(name: "edge", parameters: [a, b], body: [ref(a, b)]))
            if chance(0.5) {
                let (x, y, n) = (fresh(), fresh(), fresh())
                out.append(Rule(name: "edge", parameters: [x, y], body: [
                    .pattern(Pattern(e: .variable(x), a: .constant(.keyword(Keyword(":t/num"))), v: .variable(n), tx: nil)),
                    .pattern(Pattern(e: .variable(y), a: .constant(.keyword(Keyword(":t/one"))), v: .variable(n), tx: nil)),
                ]))
            }
            signatures.append(RuleSignature(name: "edge", kinds: [.int, .int]))
            let (ra, rb, rc) = (fresh(), fresh(), fresh())
            out.append(Rule(name: "reach", parameters: [ra, rb], body: [call("edge", [ra, rb])]))
            out.append(Rule(name: "reach", parameters: [ra, rb],
                            body: chance(0.5) ? [call("edge", [ra, rc]), call("reach", [rc, rb])]
                                : [call("reach", [ra, rc]), call("edge", [rc, rb])]))
            signatures.append(RuleSignature(name: "reach", kinds: [.int, .int]))
            if chance(0.5) {
                let (oa, ob, oc) = (fresh(), fresh(), fresh())
                out.append(Rule(name: "odd", parameters: [oa, ob], body: [call("edge", [oa, ob])]))
                out.append(Rule(name: "odd", parameters: [oa, ob], body: [call("edge", [oa, oc]), call("even", [oc, ob])]))
                out.append(Rule(name: "even", parameters: [oa, ob], body: [call("edge", [oa, oc]), call("odd", [oc, ob])]))
                signatures.append(RuleSignature(name: "odd", kinds: [.int, .int]))
                signatures.append(RuleSignature(name: "even", kinds: [.int, .int]))
            }
            let (ve, vv) = (fresh(), fresh())
            out.append(Rule(name: "valued", parameters: [ve, vv], body: [
                .pattern(Pattern(e: .variable(ve), a: .constant(.keyword(Keyword(":t/num"))), v: .variable(vv), tx: nil))]))
            out.append(Rule(name: "valued", parameters: [ve, vv], body: [
                .pattern(Pattern(e: .variable(ve), a: .constant(.keyword(Keyword(":t/one"))), v: .variable(vv), tx: nil)),
                .compare(op: ">", variable: vv, constant: Int64(count(0...3)))]))
            signatures.append(RuleSignature(name: "valued", kinds: [.int, .int]))
            let le = fresh()
            out.append(Rule(name: "lonely", parameters: [le], body: [
                .pattern(Pattern(e: .variable(le), a: .constant(.keyword(Keyword(":t/num"))), v: .blank, tx: nil)),
                .not([.pattern(Pattern(e: .variable(le), a: .constant(.keyword(Keyword(":t/ref"))), v: .blank, tx: nil))])]))
            signatures.append(RuleSignature(name: "lonely", kinds: [.int]))
            _ = c
            return out
        }

        // MARK: Programs

        /// A top-level query: maybe rules and a collection input, clauses,
        /// and a find of variables or of aggregates with `:with`.
        func program() -> RandomProgram {
            var scope = Scope()
            let rules = chance(0.35) ? self.rules() : []
            var collection: (Int, [Int64])?
            if chance(0.2) {
                let v = fresh()
                collection = (v, (0..<count(0...3)).map { _ in db.randomEntity(using: &rng) })
                scope.bind(v, .int)
            }
            var clauses: [Clause] = []
            if !rules.isEmpty, chance(0.6), let call = clause(&scope, forcing: 7) { clauses.append(call) }
            clauses += self.clauses(&scope, depth: 2, allowRules: !rules.isEmpty, allowSubqueries: true)
            if scope.bound.isEmpty {
                // Every term was a constant or a blank: give the find something to return.
                let e = fresh()
                clauses.append(.pattern(Pattern(e: .variable(e), a: .constant(.keyword(Keyword(":t/num"))), v: .blank, tx: nil)))
                scope.bind(e, .int)
            }
            let bound = scope.bound
            var find: [FindElement]
            var with: [Int] = []
            if chance(0.35) {
                let groups = Array(Set((0..<count(0...1)).map { _ in pick(bound) })).sorted()
                let ints = scope.variables(.int)
                find = groups.map { .variable($0) }
                for _ in 0..<count(1...2) {
                    let name = pick(ints.isEmpty ? ["count", "count-distinct"]
                                    : ["count", "count-distinct", "sum", "avg", "min", "max"])
                    let x = ["count", "count-distinct"].contains(name) ? pick(bound) : pick(ints)
                    find.append(.aggregate(name, x))
                }
                if chance(0.5) { with = [pick(bound)].filter { w in !groups.contains(w) } }
            } else {
                find = bound.filter { _ in chance(0.6) }.map { .variable($0) }
                if find.isEmpty { find = [.variable(pick(bound))] }
            }
            return RandomProgram(find: find, shape: .relation, with: with,
                                 collectionInput: collection.map { (variable: $0.0, values: $0.1) }, inputVariable: nil,
                                 clauses: clauses, rules: rules)
        }

        /// A rule call first, so that a query starts from a rule's relation.
        private func clause(_ scope: inout Scope, forcing kind: Int) -> Clause? {
            guard !signatures.isEmpty else { return nil }
            let sig = pick(signatures)
            var args: [Term] = []
            for k in sig.kinds {
                let v = fresh()
                args.append(.variable(v))
                scope.bind(v, k)
            }
            _ = kind
            return .rule(sig.name, args)
        }
    }
}
