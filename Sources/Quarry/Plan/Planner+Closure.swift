/// Rule specialisation: a recursive rule that is the transitive closure of
/// one attribute runs as a graph search, not as a fixpoint.
///
/// The shape, in either of its linear forms and either edge direction:
///
/// ```clojure
/// [[(r ?x ?y) [?x :attr ?y]]
///  [(r ?x ?y) [?x :attr ?z] (r ?z ?y)]]    ; or (r ?x ?z) [?z :attr ?y]
/// ```
///
/// Its answers are the pairs joined by a path of one or more `:attr`
/// edges: a breadth-first search per start node finds them in time linear
/// in the edges it crosses, where semi-naive rounds pay a round per step
/// of the longest path (a 10,000-node chain: 10,000 rounds).
extension Planner {
    /// The edge of a transitive-closure rule.
    struct ClosureShape {
        /// The attribute of the edge pattern.
        let attribute: Keyword
        /// Whether an edge runs from an entity to its value (`[?x :attr ?y]`
        /// for `(r ?x ?y)`), or from a value to its entity.
        let forward: Bool
    }

    /// The closure shape of rule `name`'s bodies, or nil.
    func closureShape(_ name: String, rules: [Rule]) -> ClosureShape? {
        guard rules.count == 2, rules.allSatisfy({ $0.parameters.count == 2 && $0.parameters[0] != $0.parameters[1] })
        else { return nil }
        guard let base = rules.first(where: { $0.body.count == 1 }), let step = rules.first(where: { $0.body.count == 2 }),
              case .pattern(let edge) = base.body[0], let shape = Self.edge(edge, from: base.parameters[0], to: base.parameters[1])
        else { return nil }
        let (x, y) = (step.parameters[0], step.parameters[1])
        var stepEdge: Pattern?, call: [Term]?
        for clause in step.body {
            switch clause {
            case .pattern(let p): stepEdge = p
            case .rule(let source, let called, let args, _) where source == "$" && called == name && args.count == 2: call = args
            default: return nil
            }
        }
        guard let stepEdge, let call, let a = call[0].variable, let b = call[1].variable else { return nil }
        // Right-linear: an edge from ?x to ?z, then (r ?z ?y); left-linear: (r ?x ?z), then an edge from ?z to ?y.
        let z: String, from: String, to: String
        if b == y && a != x && a != y {
            (z, from, to) = (a, x, a)
        } else if a == x && b != x && b != y {
            (z, from, to) = (b, b, y)
        } else {
            return nil
        }
        guard z != x && z != y, let again = Self.edge(stepEdge, from: from, to: to),
              again.attribute == shape.attribute, again.forward == shape.forward else { return nil }
        return shape
    }

    /// The edge a pattern `[e :attr v]` makes from `from` to `to`, or nil
    /// when it is not such a pattern over exactly those two variables.
    private static func edge(_ p: Pattern, from: String, to: String) -> ClosureShape? {
        guard p.source == "$", p.terms.count == 3 || (p.terms.count == 4 && p.terms[3].kind == .blank),
              case .constant(let c) = p.terms[1].kind, let attribute = c.keyword,
              let e = p.terms[0].variable, let v = p.terms[2].variable else { return nil }
        if e == from && v == to { return ClosureShape(attribute: attribute, forward: true) }
        if e == to && v == from { return ClosureShape(attribute: attribute, forward: false) }
        return nil
    }

    /// A call of a closure rule joined to `op` as a ``ClosureJoin``.
    func closureCall(_ name: String, args: [Term], shape: ClosureShape, to op: Operator,
                     at position: SourcePosition) throws -> Operator {
        let db = try context.source("$", at: position)
        var columns = op.columns
        func arg(_ t: Term, second: Bool) throws -> ClosureJoin.Arg {
            switch t.kind {
            case .constant(let c):
                return .constant(try context.space.encode(try CallEvaluator.constant(c)))
            case .variable(let v):
                if let c = op.column(v) { return .input(c) }
                if second && args[0].variable == v { return .sameAsFirst }
                columns.append(v)
                return .output(columns.count - 1 - op.columns.count)
            default:
                return .ignore
            }
        }
        let first = try arg(args[0], second: false), second = try arg(args[1], second: true)
        let attribute = db.attributeID(shape.attribute)
        let edges = Double(attribute.map { db.estimatedCount(DatomFilter(a: $0)) } ?? 0)
        let bound = first.isBound || second.isBound
        return try ClosureJoin(input: op, db: db, attribute: attribute, forward: shape.forward, args: (first, second),
                               columns: columns, context: context,
                               label: "(\(name) ...) as the transitive closure of \(shape.attribute)",
                               estimatedRows: max(1, op.estimatedRows) * max(1, bound ? edges : edges * edges / 2))
    }
}
