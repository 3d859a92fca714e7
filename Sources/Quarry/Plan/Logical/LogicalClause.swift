/// One clause of the logical plan: the clause with what it reads, needs,
/// binds and owns resolved, and the rewrite chosen for it. The physical
/// planner orders these and builds each one's operators from what is
/// decided here; EXPLAIN prints them above the operator tree.
struct LogicalClause {
    /// How a clause is evaluated beyond its plain meaning.
    enum Rewrite {
        case none
        /// A rule call that is a transitive closure: a graph search.
        case closure(Planner.ClosureShape)
        /// A recursive rule call: semi-naive rounds, with demand when
        /// arguments are bound at the call.
        case fixpoint
        /// A non-recursive rule call: its bodies inlined as a union.
        case expansion(bodies: Int)
        /// A nested query, in the mode chosen and why, and the leading
        /// patterns it shares with subqueries of the same list.
        case subquery(SubqueryJoin.Strategy, why: String, shared: SharedPrefix?)
    }

    let clause: Clause
    /// The source the clause reads, resolved: `$`, or `$name` given in `:in`.
    let source: String?
    /// Variables that must be bound before it runs (in-order evaluation's).
    let needs: Set<String>
    /// Variables it binds for the clauses after it.
    var binds: Set<String> { InOrder.binds(clause) }
    /// For `not` and `or`: the variables joining it to the rows, and the
    /// variables it owns (fresh per row, invisible outside).
    let joins: [String]
    let locals: [String]
    let rewrite: Rewrite
}

/// The logical form of one clause list: what in-order evaluation makes of
/// it (``InOrder``), and the rewrites chosen for its clauses.
final class LogicalList {
    let clauses: [LogicalClause]
    let order: InOrder

    init(clauses: [LogicalClause], order: InOrder) {
        self.clauses = clauses
        self.order = order
    }

    /// The shared prefixes of the list's subqueries, by clause index.
    var shared: [Int: SharedPrefix] {
        var out: [Int: SharedPrefix] = [:]
        for (i, c) in clauses.enumerated() {
            if case .subquery(_, _, let s?) = c.rewrite { out[i] = s }
        }
        return out
    }
}
