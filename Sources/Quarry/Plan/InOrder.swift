/// What in-order evaluation (Datomic's, DataScript's) makes of a list of
/// clauses: what each clause needs bound before it can run, and the
/// variables each `not` joins on.
///
/// The planner reorders clauses, but it schedules a clause only once what
/// the clause needs is bound, and a `not` joins on exactly the variables
/// in-order evaluation would have bound at its place. So a query that runs
/// in order runs reordered, with the same answer: when the first clause
/// not yet scheduled is reached, everything before it in the text is
/// scheduled, so what it needs is bound.
struct InOrder {
    /// Per clause, the variables it needs bound before it runs.
    let needs: [Set<String>]
    /// Per `not` clause, the variables it joins on: its variables bound
    /// before it in the text. Empty for other clauses.
    let notJoins: [Set<String>]

    /// The analysis of `clauses` entered with `entry` bound; `rules` for
    /// what a rule call needs; `levels`: how many levels of nested clauses
    /// and rule calls it may follow (what the planner's nesting limit
    /// leaves: the planner is that deep on the same stack).
    init(_ clauses: [Clause], entry: Set<String>, rules: [String: [Rule]], levels: Int) {
        var bound = entry
        var needs: [Set<String>] = []
        var notJoins: [Set<String>] = []
        var analysis = Needs(rules: rules, levels: levels)
        for clause in clauses {
            var need = analysis.inputs(of: clause)
            var join: Set<String> = []
            if case .not(_, nil, _, _) = clause {
                join = clause.allVariables.intersection(bound)
                need.formUnion(join)
            }
            // A rule call takes the arguments bound before it: a recursive
            // rule is then computed for those values only.
            if case .rule(_, _, let args, _) = clause {
                need.formUnion(Set(args.compactMap(\.variable)).intersection(bound))
            }
            needs.append(need)
            notJoins.append(join)
            bound.formUnion(Self.binds(clause))
        }
        self.needs = needs
        self.notJoins = notJoins
    }

    /// The variables a clause binds for the clauses after it.
    static func binds(_ clause: Clause) -> Set<String> {
        switch clause {
        case .pattern(let p): Set(p.terms.compactMap(\.variable))
        case .function(_, let b, _), .subquery(_, let b, _): Set(b.variables)
        case .or(_, let join?, _, _): Set(join)
        case .or(_, nil, let branches, _):
            // What every branch binds.
            branches.map { branch in branch.reduce(into: Set<String>()) { $0.formUnion(binds($1)) } }
                .reduce(nil as Set<String>?) { common, next in common.map { $0.intersection(next) } ?? next } ?? []
        case .rule(_, _, let args, _): Set(args.compactMap(\.variable))
        case .predicate, .not: []
        }
    }

    /// What clauses need from outside, by in-order evaluation from nothing bound.
    struct Needs {
        let rules: [String: [Rule]]
        /// Rule calls being analysed: a recursive call needs what its first
        /// analysis found, nothing more.
        private var visiting: Set<String> = []
        /// Per rule name, which parameters its bodies need bound.
        private var ruleNeeds: [String: Set<Int>] = [:]
        /// How deep the analysis is in nested clauses and rule calls, and
        /// how deep it may go. Past that the planner's nesting limit
        /// rejects the query anyway, so it assumes nothing is needed: a
        /// chain of a million rules must not recurse a million frames.
        private var depth = 0
        private let levels: Int

        init(rules: [String: [Rule]], levels: Int) {
            self.rules = rules
            self.levels = levels
        }

        /// The variables the clauses need bound on entry.
        mutating func ofList(_ clauses: [Clause]) -> Set<String> {
            guard depth < levels else { return [] }
            depth += 1
            defer { depth -= 1 }
            var bound: Set<String> = []
            var need: Set<String> = []
            for clause in clauses {
                need.formUnion(inputs(of: clause).subtracting(bound))
                bound.formUnion(InOrder.binds(clause))
            }
            return need
        }

        /// The variables one clause needs bound before it runs (a `not`'s
        /// join, which depends on what is bound at its place, aside).
        mutating func inputs(of clause: Clause) -> Set<String> {
            switch clause {
            case .pattern: return []
            case .predicate(let c), .function(let c, _, _): return Set(c.args.compactMap(\.variable))
            case .subquery(let sq, _, _): return Set(sq.args.compactMap(\.variable))
            case .not(_, let join?, _, _): return Set(join)
            case .not(_, nil, let clauses, _): return ofList(clauses)
            case .or(_, let join, let branches, _):
                var need: Set<String> = []
                for branch in branches { need.formUnion(ofList(branch)) }
                return join.map { need.intersection($0) } ?? need
            case .rule(_, let name, let args, _):
                let params = parametersNeeded(name)
                return Set(params.compactMap { $0 < args.count ? args[$0].variable : nil })
            }
        }

        /// Which parameters of rule `name` its bodies need bound: the
        /// required ones, and those a body uses before binding them.
        mutating func parametersNeeded(_ name: String) -> Set<Int> {
            if let known = ruleNeeds[name] { return known }
            guard !visiting.contains(name), let rules = rules[name] else { return [] }
            visiting.insert(name)
            defer { visiting.remove(name) }
            var out: Set<Int> = []
            for rule in rules {
                let need = ofList(rule.body)
                for (i, p) in rule.parameters.enumerated() where need.contains(p) || rule.required.contains(p) {
                    out.insert(i)
                }
            }
            ruleNeeds[name] = out
            return out
        }
    }
}
