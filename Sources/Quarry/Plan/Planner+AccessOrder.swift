/// Choosing the next producer by what the whole rest of the plan costs,
/// with the order rows arrive in counted.
///
/// Fewest rows first is wrong when the small clause leads the plan into
/// random lookups: starting the query benchmark's 3-way join from its
/// 10,000 customers fetches the 240,000 orders in customer order, and
/// each order's product is then a lookup at a random place in a 7.7 MB
/// column. Starting from the orders walks their columns in entity order
/// (a merge) and leaves two lookups into 320 KB columns. So each ready
/// producer is costed as the first step of a plan completed greedily,
/// where a lookup whose key arrives sorted costs a step of a walk, and a
/// random one costs more when its column is larger than a cache.
extension Planner {
    /// Past this many producers left, the greedy choice alone: the
    /// lookahead costs candidates × producers² estimates.
    static let lookaheadProducers = 8
    /// Below this many rows for the fewest-rows choice, it stands: the
    /// lookups that follow a start so small are few whatever their order,
    /// and a point query should not pay for the search.
    static let lookaheadFromRows = 64.0

    /// Relative costs of the simulated plan, per row: one output row is 1.
    enum AccessCost {
        /// A lookup whose key rises with the rows (a merge), or a row of a scan.
        static let walk = 0.25
        /// A lookup at a random place in a column that fits a cache.
        static let randomNear = 1.0
        /// A lookup at a random place in a larger column: a memory miss.
        static let randomFar = 3.0
        /// A column of more bytes than this is far (a datom is 32 bytes).
        static let nearBytes = 1.0 * 1024 * 1024
        /// Building one row of a hash table, and probing it once.
        static let hashBuild = 1.25
        static let hashProbe = 0.75
    }

    /// The rows a simulated plan has produced so far. Variables are bits
    /// (at most 64 in the clauses left; past that, the greedy choice).
    struct SimulatedRows {
        var bound: UInt64
        var rows: Double
        /// A variable the rows arrive sorted by: a lookup keyed by it walks.
        var sortedBy: UInt64 = 0
    }

    /// One clause left, as the simulation reads it.
    struct SimulatedClause {
        let index: Int
        /// Variables that connect it, that it needs bound, and that it binds.
        let variables: UInt64, needs: UInt64, binds: UInt64
        let isFilter: Bool, isPredicate: Bool
        /// For a pattern: its figures, its entity and value variables, and
        /// whether its attribute is a constant.
        let facts: PatternFacts?
        let entity: UInt64, value: UInt64
        let attributeFixed: Bool
    }

    /// The index in `schedule.remaining` of the producer to plan next, by
    /// lookahead; nil when the greedy choice decides (one candidate or
    /// none, too many producers or variables left).
    func lookahead(_ schedule: Schedule, after op: Operator) throws -> Int? {
        let clauses = schedule.clauses, needs = schedule.order.needs
        guard schedule.remaining.count(where: { !Self.isFilter(clauses[$0]) }) <= Self.lookaheadProducers else { return nil }
        var bits: [String: UInt64] = [:]
        func mask<S: Sequence<String>>(_ names: S) -> UInt64? {
            var m: UInt64 = 0
            for n in names {
                if let b = bits[n] { m |= b; continue }
                guard bits.count < 64 else { return nil }
                bits[n] = 1 << UInt64(bits.count)
                m |= bits[n]!
            }
            return m
        }
        guard let bound = mask(op.columns) else { return nil }
        var left: [SimulatedClause] = []
        for i in schedule.remaining {
            let clause = clauses[i]
            guard let variables = mask(clause.variables), let need = mask(needs[i]), let binds = mask(InOrder.binds(clause))
            else { return nil }
            var facts: PatternFacts?, entity: UInt64 = 0, value: UInt64 = 0, attributeFixed = false
            if case .pattern(let p) = clause {
                facts = try patternFacts(p)
                entity = p.terms[0].variable.flatMap { bits[$0] } ?? 0
                value = p.terms[2].variable.flatMap { bits[$0] } ?? 0
                if case .constant = p.terms[1].kind { attributeFixed = true }
            }
            let isPredicate = if case .predicate = clause { true } else { false }
            left.append(SimulatedClause(index: i, variables: variables, needs: need, binds: binds,
                                        isFilter: Self.isFilter(clause), isPredicate: isPredicate, facts: facts,
                                        entity: entity, value: value, attributeFixed: attributeFixed))
        }
        let start = SimulatedRows(bound: bound, rows: max(1, op.estimatedRows))
        let ready = left.indices.filter { !left[$0].isFilter && left[$0].needs & ~bound == 0 }
        guard ready.count > 1 else { return nil }
        var best: (clause: Int, cost: Double)?
        for first in ready {
            var rows = start
            var rest = left
            var cost = Self.step(rest.remove(at: first), &rows)
            cost += Self.applyFilters(&rest, &rows)
            while let next = Self.cheapest(rest, rows) {
                cost += Self.step(rest.remove(at: next), &rows)
                cost += Self.applyFilters(&rest, &rows)
            }
            if best == nil || cost < best!.cost { best = (left[first].index, cost) }
        }
        return best.flatMap { b in schedule.remaining.firstIndex(of: b.clause) }
    }

    /// The position in `left` of the ready producer whose step costs least
    /// (first on ties).
    private static func cheapest(_ left: [SimulatedClause], _ rows: SimulatedRows) -> Int? {
        var best: (position: Int, cost: Double)?
        for (k, c) in left.enumerated() where !c.isFilter && c.needs & ~rows.bound == 0 {
            var copy = rows
            let cost = step(c, &copy)
            if best == nil || cost < best!.cost { best = (k, cost) }
        }
        return best?.position
    }

    /// Applies every filter of `left` that has what it needs: a predicate
    /// halves the rows (as ``Filter``'s estimate does), a function binds.
    private static func applyFilters(_ left: inout [SimulatedClause], _ rows: inout SimulatedRows) -> Double {
        var cost = 0.0
        while let k = left.firstIndex(where: { $0.isFilter && $0.needs & ~rows.bound == 0 }) {
            let c = left.remove(at: k)
            cost += rows.rows * AccessCost.walk
            if c.isPredicate { rows.rows /= 2 }
            rows.bound |= c.binds
        }
        return cost
    }

    /// The cost of joining producer `c` to `rows`, which it then becomes.
    private static func step(_ c: SimulatedClause, _ rows: inout SimulatedRows) -> Double {
        let connected = c.variables & rows.bound != 0
        // A Cartesian product only when nothing else is left, as the greedy choice has it.
        let cross = !connected && rows.bound != 0 ? 1e12 : 0
        guard let f = c.facts else {
            let out = connected ? rows.rows : 1e9
            rows = SimulatedRows(bound: rows.bound | c.binds, rows: out)
            return out + cross
        }
        let entityBound = c.entity & rows.bound != 0, valueBound = c.value & rows.bound != 0
        let out = f.estimate(entityBound: entityBound, valueBound: valueBound, rows: rows.rows)
        var cost: Double
        if !connected {
            // A scan (per input row): in entity order when the attribute is given.
            cost = max(1, rows.rows) * f.alone * AccessCost.walk
            rows.sortedBy = rows.rows <= 1 && c.attributeFixed && f.valueRange == nil ? c.entity : 0
        } else if joinsByHash(alone: f.alone, rows: rows.rows, shares: true) {
            cost = f.alone * AccessCost.hashBuild + rows.rows * AccessCost.hashProbe
        } else {
            // An index lookup per row, keyed by the entity when it is bound, else by the value.
            let key = entityBound ? c.entity : valueBound ? c.value : 0
            let perRow = key != 0 && key == rows.sortedBy ? AccessCost.walk
                : f.columnDatoms * 32 <= AccessCost.nearBytes ? AccessCost.randomNear : AccessCost.randomFar
            cost = rows.rows * perRow
        }
        rows.bound |= c.binds
        rows.rows = out
        return cost + out + cross
    }
}
