extension Query {
    /// Throws when the query nests deeper than the engine recurses safely:
    /// clauses (`not`, `or`, subqueries) past the planner's 64 levels,
    /// bindings or constants past ``EDN/maxDepth``. A parsed query passed
    /// the reader's limit already; a query built or changed in Swift did
    /// not, and the walks before planning (variables, rule calls) recurse.
    /// This walk keeps its own stack, so it cannot overflow.
    func checkDepth() throws(QueryError) {
        var clauses: [(Clause, Int)] = []
        var queries: [(Query, Int)] = [(self, 0)]
        func terms(_ ts: [Term]) throws(QueryError) {
            for t in ts {
                if case .constant(let c) = t.kind { try QueryParser.checkDepth(c, what: "a constant") }
            }
        }
        func binding(_ b: Binding, at position: SourcePosition) throws(QueryError) {
            var pending: [(Binding, Int)] = [(b, 1)]
            while let (b, depth) = pending.popLast() {
                guard depth <= EDN.maxDepth else {
                    throw QueryError("a binding form nests deeper than \(EDN.maxDepth) levels", at: position)
                }
                switch b {
                case .tuple(let items): pending += items.map { ($0, depth + 1) }
                case .collection(let inner): pending.append((inner, depth + 1))
                case .variable, .blank: break
                }
            }
        }
        while let (query, depth) = queries.popLast() {
            for input in query.inputs { if case .binding(let b) = input { try binding(b, at: query.position) } }
            clauses += query.clauses.map { ($0, depth) }
            while let (clause, depth) = clauses.popLast() {
                // As the planner counts: each not, or and subquery is a level.
                if clause.nestsClauses, depth >= Planner.maxNestingDepth { throw Planner.nestingError(at: clause.position) }
                switch clause {
                case .pattern(let p): try terms(p.terms)
                case .predicate(let c): try terms(c.args)
                case .function(let c, let b, let position):
                    try terms(c.args)
                    try binding(b, at: position)
                case .not(_, _, let inner, _): clauses += inner.map { ($0, depth + 1) }
                case .or(_, _, let branches, _): clauses += branches.joined().map { ($0, depth + 1) }
                case .rule(_, _, let args, _): try terms(args)
                case .subquery(let sq, let b, let position):
                    try terms(sq.args)
                    try binding(b, at: position)
                    queries.append((sq.query, depth + 1))
                }
            }
        }
    }
}

private extension Clause {
    /// Whether the clause holds clauses or a query of its own.
    var nestsClauses: Bool {
        switch self {
        case .not, .or, .subquery: true
        case .pattern, .predicate, .function, .rule: false
        }
    }
}
