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
        /// A nested query: what its `:in` takes from the call, the mode
        /// chosen and why, and the leading patterns it shares with
        /// subqueries of the same list.
        case subquery(Planner.NestedInputs, SubqueryJoin.Strategy, why: String, shared: SharedPrefix?)
    }

    let clause: Clause
    /// The source the clause reads, resolved: `$`, or `$name` given in `:in`.
    let source: String?
    /// Variables that must be bound before it runs (in-order evaluation's).
    let needs: Set<String>
    /// Variables it binds for the clauses after it.
    var binds: Set<String> { InOrder.binds(clause) }
    /// For `not`: the variables joining it to the rows (its join list, or
    /// those in-order evaluation binds before it); for `or-join`: its
    /// list. Empty for a plain `or`, which joins on what is bound when it runs.
    let joins: [String]
    let rewrite: Rewrite

    /// For `not` and `or-join`: the variables it owns (fresh per row,
    /// invisible outside).
    var locals: [String] {
        switch clause {
        case .not, .or(_, .some, _, _): clause.allVariables.subtracting(joins).sorted()
        default: []
        }
    }
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
}
