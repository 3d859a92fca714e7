extension Clause {
    /// The variables a clause mentions that connect it to the rest of the
    /// query: all of them for patterns, calls and rule calls; the join
    /// variables of `not-join` and `or-join`; everything inside `not` and
    /// `or`.
    var variables: Set<String> {
        switch self {
        case .pattern(let p): Set(p.terms.compactMap(\.variable))
        case .predicate(let c): Set(c.args.compactMap(\.variable))
        case .function(let c, let b, _): Set(c.args.compactMap(\.variable)).union(b.variables)
        case .not(_, let join, let clauses, _): join.map(Set.init) ?? clauses.reduce(into: Set()) { $0.formUnion($1.variables) }
        case .or(_, let join, let branches, _):
            join.map(Set.init) ?? branches.joined().reduce(into: Set()) { $0.formUnion($1.variables) }
        case .rule(_, _, let args, _): Set(args.compactMap(\.variable))
        case .subquery(let sq, let b, _): Set(sq.args.compactMap(\.variable)).union(b.variables)
        }
    }

    /// The clause with variables renamed by `map` (others kept), inside
    /// nested clauses too.
    func renaming(_ map: [String: String]) -> Clause {
        func term(_ t: Term) -> Term {
            guard let v = t.variable, let n = map[v] else { return t }
            return Term(kind: .variable(n), position: t.position)
        }
        func binding(_ b: Binding) -> Binding {
            switch b {
            case .variable(let v): .variable(map[v] ?? v)
            case .blank: .blank
            case .tuple(let items): .tuple(items.map(binding))
            case .collection(let inner): .collection(binding(inner))
            }
        }
        func names(_ vs: [String]?) -> [String]? { vs.map { $0.map { map[$0] ?? $0 } } }
        switch self {
        case .pattern(var p):
            p.terms = p.terms.map(term)
            return .pattern(p)
        case .predicate(var c):
            c.args = c.args.map(term)
            return .predicate(c)
        case .function(var c, let b, let pos):
            c.args = c.args.map(term)
            return .function(c, binding(b), pos)
        case .not(let s, let join, let clauses, let pos):
            return .not(source: s, joinVariables: names(join), clauses: clauses.map { $0.renaming(map) }, pos)
        case .or(let s, let join, let branches, let pos):
            return .or(source: s, joinVariables: names(join), branches: branches.map { $0.map { $0.renaming(map) } }, pos)
        case .rule(let s, let name, let args, let pos):
            return .rule(source: s, name: name, args: args.map(term), pos)
        case .subquery(var sq, let b, let pos):
            sq.args = sq.args.map(term)
            return .subquery(sq, binding(b), pos)
        }
    }

    /// Every variable mentioned anywhere, nested clauses included.
    var allVariables: Set<String> {
        switch self {
        case .not(_, let join, let clauses, _):
            clauses.reduce(into: Set(join ?? [])) { $0.formUnion($1.allVariables) }
        case .or(_, let join, let branches, _):
            branches.joined().reduce(into: Set(join ?? [])) { $0.formUnion($1.allVariables) }
        default: variables
        }
    }

    /// Names of rules this clause calls, nested clauses included.
    var ruleCalls: Set<String> {
        switch self {
        case .rule(_, let name, _, _): [name]
        case .not(_, _, let clauses, _): clauses.reduce(into: Set()) { $0.formUnion($1.ruleCalls) }
        case .or(_, _, let branches, _): branches.joined().reduce(into: Set()) { $0.formUnion($1.ruleCalls) }
        default: []
        }
    }

    /// Rules called under a `not` or `not-join` of this clause, at any depth.
    var negatedRuleCalls: Set<String> {
        switch self {
        case .not(_, _, let clauses, _): clauses.reduce(into: Set()) { $0.formUnion($1.ruleCalls) }
        case .or(_, _, let branches, _): branches.joined().reduce(into: Set()) { $0.formUnion($1.negatedRuleCalls) }
        default: []
        }
    }
}
