/// Orders clauses and builds the operator tree.
///
/// Greedy, one clause at a time: first every clause that only filters or
/// extends rows and has its inputs bound (predicates, function bindings,
/// `not`): so predicates run as early as their variables allow; then the
/// producer (pattern, `or`, rule call) with the fewest estimated rows,
/// preferring ones connected to what is bound, so that a Cartesian product
/// happens only when the query asks for one. Patterns join by index
/// lookups per input row, or by a hash join built on the pattern when the
/// pattern is no larger than its input.
final class Planner {
    let context: ExecutionContext
    /// Recursive rules' fixpoints, by source, rule name and the argument
    /// positions calls bind: one rule over two sources is two fixpoints.
    private var fixpoints: [FixpointKey: RuleFixpoint] = [:]
    /// The group of recursive rules whose bodies are being planned.
    private(set) var planningGroup: RuleGroup?

    struct FixpointKey: Hashable {
        let source: ObjectIdentifier
        let rule: String
        let bound: [Int]
    }

    /// A group of mutually recursive rules being planned: the rules of one
    /// strongly connected component over one source, with every adornment
    /// their calls need, found as their bodies are planned.
    final class RuleGroup {
        let fixpoint: RuleFixpoint
        let source: ObjectIdentifier
        let rules: Set<String>
        /// Adorned rules whose bodies are still to plan.
        var worklist: [(rule: String, bound: [Int])] = []

        init(fixpoint: RuleFixpoint, source: ObjectIdentifier, rules: Set<String>) {
            self.fixpoint = fixpoint
            self.source = source
            self.rules = rules
        }
    }
    private var fresh = 0
    /// Rules whose reach has been checked for recursion through negation.
    private var stratified: Set<String> = []
    /// Non-recursive rule calls expanded so far.
    private var ruleExpansions = 0
    /// The most non-recursive rule calls one query may expand: each
    /// expansion plans the rule's bodies again, so a rule calling the next
    /// one twice doubles the plan at every level.
    static let maxRuleExpansions = 10_000
    /// How deep `not`, `or`, rule calls and subqueries may nest, counted
    /// through rule bodies and nested queries: the planner recurses a few
    /// frames per level, and at this depth the deepest query still plans
    /// and runs on a 512 KiB stack even in a debug build.
    static let maxNestingDepth = 64

    /// The error of clauses nested past ``maxNestingDepth``, here or in a
    /// query built in Swift (``Query/checkDepth()``).
    static func nestingError(at position: SourcePosition) -> QueryError {
        QueryError("not, or, rule calls and subqueries nest deeper than \(maxNestingDepth) levels", at: position)
    }
    /// The predicates of the clause list being planned that are not
    /// applied yet: comparisons of a pattern's value with constants bound
    /// its scan (``valueRange(of:db:)``).
    var openPredicates: [Call] = []
    /// How many distinct values each variable can take, from the patterns
    /// that bind it: estimates of distinct tuples (subquery inputs).
    private var domains: [String: Double] = [:]

    init(context: ExecutionContext) {
        self.context = context
    }

    // MARK: Clause lists

    /// The recursive path of a deep query runs through here, so this frame
    /// holds little: choosing the next clause happens in ``nextClause``.
    func plan(_ clauses: [Clause], input: Operator, keep: Set<String>) throws -> Operator {
        let schedule = try Schedule(self, clauses, input: input)
        var op = input
        let outer = openPredicates
        defer { openPredicates = outer }
        while true {
            openPredicates = schedule.remaining.compactMap { if case .predicate(let c) = clauses[$0] { c } else { nil } }
            guard let i = try nextClause(schedule, after: op) else { break }
            op = try apply(schedule.logical.clauses[i], to: op, keep: keep.union(others(clauses, schedule.remaining)))
        }
        return op
    }

    /// What one clause list's planning keeps between steps: its logical
    /// form, and the clauses not planned yet.
    final class Schedule {
        let clauses: [Clause]
        let logical: LogicalList
        var order: InOrder { logical.order }
        /// Clauses not planned yet, by index, in text order.
        var remaining: [Int]

        init(_ planner: Planner, _ clauses: [Clause], input: Operator) throws {
            self.clauses = clauses
            logical = try planner.logicalList(clauses, entry: Set(input.columns))
            remaining = Array(clauses.indices)
        }
    }

    /// The next clause to plan over `op`, and for a `not` the variables it
    /// joins on; nil when every clause is planned. First any clause that
    /// only filters or extends rows and has what it needs bound; then the
    /// producer with what it needs bound and the fewest estimated rows.
    @inline(never)
    private func nextClause(_ schedule: Schedule, after op: Operator) throws -> Int? {
        guard !schedule.remaining.isEmpty else { return nil }
        let clauses = schedule.clauses, order = schedule.order
        let bound = Set(op.columns)
        if let k = schedule.remaining.firstIndex(where: { Self.isFilter(clauses[$0]) && order.needs[$0].isSubset(of: bound) }) {
            return schedule.remaining.remove(at: k)
        }
        let remaining = schedule.remaining
        let ready = { (i: Int) in !Self.isFilter(clauses[i]) && order.needs[i].isSubset(of: bound) }
        let choices = context.choices
        let chosen: Int
        if let replayed = choices.replayed(fits: { $0 < remaining.count && ready(remaining[$0]) }) {
            chosen = replayed
        } else {
            var best: (index: Int, cost: Double)?
            for (k, i) in remaining.enumerated() where ready(i) {
                let cost = try self.cost(clauses[i], input: op)
                if best == nil || cost < best!.cost { best = (k, cost) }
            }
            guard let best else { throw unboundError(remaining.map { (clauses[$0], order.needs[$0]) }, bound: bound) }
            // Fewest rows first, unless even the fewest are enough rows for
            // the order they arrive in to matter (see ``lookahead``).
            chosen = best.cost > Self.lookaheadFromRows ? try lookahead(schedule, after: op) ?? best.index : best.index
            choices.record(chosen)
        }
        return schedule.remaining.remove(at: chosen)
    }

    /// The variables of the clauses at `indices`.
    private func others(_ clauses: [Clause], _ indices: [Int]) -> Set<String> {
        var out: Set<String> = []
        for i in indices { out.formUnion(clauses[i].allVariables) }
        return out
    }

    /// Clauses that only filter or extend rows: applied as soon as what
    /// they need is bound. The others (patterns, `or`, rule calls) produce
    /// rows and are chosen by cost.
    static func isFilter(_ clause: Clause) -> Bool {
        switch clause {
        case .predicate, .function, .subquery, .not: true
        case .pattern, .or, .rule: false
        }
    }

    /// The error for clauses that can never run: the first one's first
    /// variable that nothing binds.
    private func unboundError(_ remaining: [(Clause, Set<String>)], bound: Set<String>) -> QueryError {
        for (clause, needs) in remaining {
            let missing = needs.subtracting(bound)
            guard let v = missing.sorted().first else { continue }
            switch clause {
            case .predicate(let c), .function(let c, _, _):
                let kind = if case .predicate = clause { "predicate" } else { "function" }
                let t = c.args.first { $0.variable == v }
                return QueryError("unbound variable \(v) in \(kind)", at: t?.position ?? c.position)
            case .not(_, _, _, let position):
                return QueryError("unbound variable \(v) in not", at: position)
            case .or(_, let join, _, let position):
                return QueryError("unbound variable \(v) in \(join == nil ? "or" : "or-join")", at: position)
            case .rule(_, let name, _, let position):
                return QueryError("rule \(name) needs \(v) bound", at: position)
            case .subquery(let sq, _, _):
                let t = sq.args.first { $0.variable == v }
                return QueryError("unbound variable \(v) in subquery", at: t?.position ?? sq.position)
            case .pattern:
                continue
            }
        }
        return QueryError("cannot order the clauses: some variables are never bound", at: remaining[0].0.position)
    }

    // MARK: Costs

    private func cost(_ clause: Clause, input: Operator) throws -> Double {
        let bound = Set(input.columns)
        let connected = !clause.variables.isDisjoint(with: bound)
        let cross = !connected && !bound.isEmpty ? 1e12 : 0
        switch clause {
        case .pattern(let p):
            return try patternEstimate(p, input: input) + cross
        case .or, .rule:
            return (connected ? input.estimatedRows : 1e9) + cross
        default:
            return 0
        }
    }

    /// Rows of the pattern's constants alone, and the estimated rows of its
    /// join with `input`.
    private func patternEstimate(_ p: Pattern, input: Operator) throws -> Double {
        try patternFacts(p).estimate(p, bound: Set(input.columns), rows: input.estimatedRows)
    }

    /// What the planner knows of a pattern before joining it: its
    /// constants' rows and its attribute's figures.
    struct PatternFacts {
        /// Datoms matching the constants alone (0: a constant cannot occur).
        let alone: Double
        let stats: Database.AttributeStats?
        let maxEntity: Int64
        /// Datoms of the column a lookup reads: the attribute's, or all.
        let columnDatoms: Double
        /// The range of values a scan of the pattern reads
        /// (``valueRange(of:db:)``), if any: its rows then come in value order.
        let valueRange: ValueRangeScan?
        /// In a remote round, the range of values the source filters the
        /// pattern's scans by (``pushedFilter(of:db:)``; empty: none).
        let pushedFilter: ScanFilter

        /// Rows of the pattern joined to `rows` rows binding `bound`.
        func estimate(_ p: Pattern, bound: Set<String>, rows: Double) -> Double {
            estimate(entityBound: p.terms[0].variable.map(bound.contains) ?? false,
                     valueBound: p.terms[2].variable.map(bound.contains) ?? false, rows: rows)
        }

        /// Rows of the pattern joined to `rows` rows that bind its entity
        /// variable, its value variable, or neither.
        func estimate(entityBound: Bool, valueBound: Bool, rows: Double) -> Double {
            var perBinding = alone
            if entityBound { perBinding /= Double(max(1, stats?.distinctEntities ?? max(1, Int(maxEntity)))) }
            if valueBound { perBinding /= Double(max(1, stats?.distinctValues ?? 1)) }
            return max(1, rows) * max(perBinding, alone == 0 ? 0 : 0.5)
        }
    }

    func patternFacts(_ p: Pattern) throws -> PatternFacts {
        let db = try context.source(p.source, at: p.position)
        let (filter, attr) = try constantFilter(p, db: db)
        let stats = attr.flatMap { db.planningStats($0) }
        let range = filter == nil ? nil : valueRange(of: p, db: db)
        return PatternFacts(alone: range.map { Double($0.count) } ?? filter.map { Double(db.estimatedCount($0)) } ?? 0,
                            stats: stats, maxEntity: db.maxEntity, columnDatoms: Double(stats?.count ?? db.count),
                            valueRange: range?.scan, pushedFilter: pushedFilter(of: p, db: db))
    }

    // MARK: Applying clauses

    /// What a `not` joins on and the clause's rewrite (a closure, a
    /// subquery's mode and shared scan) come from its logical form.
    private func apply(_ logical: LogicalClause, to op: Operator, keep: Set<String>) throws -> Operator {
        switch logical.clause {
        case .pattern, .predicate, .function: try applyFlat(logical.clause, to: op)
        case .not, .or, .rule, .subquery: try applyNested(logical, to: op, keep: keep)
        }
    }

    /// Clauses that plan nothing beneath them.
    private func applyFlat(_ clause: Clause, to op: Operator) throws -> Operator {
        switch clause {
        case .pattern(let p):
            return try joinPattern(p, to: op)
        case .predicate(let call):
            let evaluator = try CallEvaluator(call, columns: op.columns, context: context)
            return try Filter(input: op, evaluator: evaluator, estimatedRows: op.estimatedRows / 2)
        case .function(let call, let binding, _):
            let evaluator = try CallEvaluator(call, columns: op.columns, context: context)
            return try Bind(input: op, evaluator: evaluator, binding: binding, estimatedRows: op.estimatedRows)
        case .not, .or, .rule, .subquery:
            // Only flat clauses come here (``apply`` sends the others on).
            throw QueryError("a nested clause was planned as a flat one", at: clause.position)
        }
    }

    /// Clauses that plan clauses beneath them: the recursive path of a deep
    /// query, so this frame and ``apply``'s hold little.
    private func applyNested(_ logical: LogicalClause, to op: Operator, keep: Set<String>) throws -> Operator {
        let clause = logical.clause
        let counters = context.counters
        guard counters.planDepth < Self.maxNestingDepth else { throw Self.nestingError(at: clause.position) }
        counters.planDepth += 1
        defer { counters.planDepth -= 1 }
        switch clause {
        case .not(let source, _, let clauses, _):
            return try applyNot(source, logical.joins, clauses, to: op)
        case .or(let source, let join, let branches, let position):
            return try applyOr(source, join, branches, to: op, keep: keep, at: position)
        case .rule(let source, let name, let args, let position):
            if case .closure(let shape) = logical.rewrite {
                return try withSource(source) { try closureCall(name, args: args, shape: shape, to: op, at: position) }
            }
            return try callRule(name, args: args, source: source, to: op, at: position)
        case .subquery(let sq, let binding, let position):
            guard case .subquery(let inputs, let strategy, let why, let shared) = logical.rewrite else {
                throw QueryError("a subquery was planned without its logical form", at: position)
            }
            return try subqueryJoin(sq, binding: binding, to: op, keep: keep, inputs: inputs, strategy: strategy, why: why,
                                    shared: shared)
        case .pattern, .predicate, .function:
            return try applyFlat(clause, to: op)
        }
    }

    // `not` and `or` plan their clauses recursively: each has a function of
    // its own so that ``apply`` keeps a small frame on a deep query's stack.

    /// `join`: the variables the `not` joins on (its join list, or those
    /// of its variables in-order evaluation binds before it); the rest
    /// are its own.
    private func applyNot(_ source: String, _ join: [String], _ clauses: [Clause], to op: Operator) throws -> Operator {
        let joinVars = join.filter(op.columns.contains)
        let input = try RelationScan(RowBuffer(arity: joinVars.count, account: context.account), columns: joinVars,
                                     label: "per batch: distinct [\(joinVars.joined(separator: " "))]")
        let sub = try withSource(source) { try plan(clauses, input: input, keep: Set(joinVars)) }
        return try AntiJoin(input: op, joinVariables: joinVars, subplanInput: input, subplan: sub,
                            account: context.account)
    }

    private func applyOr(_ source: String, _ join: [String]?, _ branches: [[Clause]], to op: Operator, keep: Set<String>,
                         at position: SourcePosition) throws -> Operator {
        let bound = Set(op.columns)
        let sets = branches.map { $0.reduce(into: Set<String>()) { $0.formUnion($1.allVariables) } }
        let inner = sets.reduce(into: Set<String>()) { $0.formUnion($1) }
        if join == nil {
            // As DataScript: an or's branches are alternatives for the same variables.
            if let other = sets.first(where: { $0 != sets[0] }) {
                throw QueryError("or branches must bind the same variables: [\(sets[0].sorted().joined(separator: " "))] "
                                 + "and [\(other.sorted().joined(separator: " "))] (use or-join to name the shared ones)",
                                 at: position)
            }
        }
        let joinVars = join ?? inner.intersection(bound.union(keep)).sorted()
        return try union(label: join == nil ? "or" : "or-join", joinVariables: joinVars,
                         branches: branches.map { (source, $0) }, to: op, at: position)
    }

    /// Plans clauses with `$` standing for another source.
    private func withSource<T>(_ source: String, _ body: () throws -> T) throws -> T {
        guard source != "$" else { return try body() }
        let saved = context.sources["$"]
        context.sources["$"] = try context.source(source, at: .unknown)
        defer { context.sources["$"] = saved }
        return try body()
    }

    private func union(label: String, joinVariables: [String], branches: [(String, [Clause])], to op: Operator,
                       at position: SourcePosition) throws -> Operator {
        let bound = joinVariables.filter { op.columns.contains($0) }
        let new = joinVariables.filter { !op.columns.contains($0) }
        var planned: [(input: RelationScan, plan: Operator, project: [Int])] = []
        for (source, clauses) in branches {
            let input = try RelationScan(RowBuffer(arity: bound.count, account: context.account), columns: bound,
                                         label: "per batch: distinct [\(bound.joined(separator: " "))]")
            let plan = try withSource(source) { try self.plan(clauses, input: input, keep: Set(joinVariables)) }
            let project = try (bound + new).map { v throws -> Int in
                guard let c = plan.column(v) else {
                    throw QueryError("\(label) branch does not bind \(v)", at: clauses.first?.position ?? position)
                }
                return c
            }
            planned.append((input, plan, project))
        }
        return try UnionJoin(input: op, label: label, boundVariables: bound, newVariables: new, branches: planned,
                             account: context.account, estimatedRows: op.estimatedRows * Double(max(1, branches.count)))
    }

    // MARK: Patterns

    /// The filter of a pattern's constants, and its constant attribute;
    /// a nil filter when a constant cannot occur in the source.
    private func constantFilter(_ p: Pattern, db: Database) throws -> (DatomFilter?, UInt32?) {
        var f = DatomFilter()
        for (i, t) in p.terms.enumerated() {
            guard case .constant = t.kind else { continue }
            guard let v = try constant(t, position: i, pattern: p, db: db), f.fix(i, to: v) else { return (nil, nil) }
        }
        return (f, f.a)
    }

    /// A pattern constant in the source's ids; nil when no datom can hold it.
    private func constant(_ t: Term, position: Int, pattern: Pattern, db: Database) throws -> EncodedValue? {
        guard case .constant(let edn) = t.kind else { return nil }
        switch position {
        case 1:
            guard let k = edn.keyword else {
                throw QueryError("expected an attribute keyword, found \(EDNWriter.write(edn))", at: t.position)
            }
            return db.attributeID(k).map { EncodedValue(word: UInt64($0), tag: .keyword) }
        case 0, 3:
            return try entity(edn, db: db, at: t.position).map { EncodedValue(word: UInt64(bitPattern: $0), tag: .int) }
        default:
            var attribute: Attribute?
            if case .constant(let a) = pattern.terms[1].kind, let k = a.keyword, let id = db.attributeID(k) {
                attribute = db.attribute(id)
            }
            if attribute?.isRef == true, edn.vector != nil || edn.keyword != nil {
                return try entity(edn, db: db, at: t.position).map { EncodedValue(word: UInt64(bitPattern: $0), tag: .int) }
            }
            var value = try CallEvaluator.constant(edn)
            if let type = attribute?.valueType { value = type.coerce(value) }
            let encoded = try context.space.encode(value)
            return context.toSource(encoded, of: db)
        }
    }

    /// An entity named by an id, a lookup ref or an ident; nil when none exists.
    private func entity(_ edn: EDN, db: Database, at position: SourcePosition) throws -> Int64? {
        switch edn.form {
        case .int(let i): return i
        case .keyword(let k):
            guard let identAttr = db.attributeID(Keyword("db/ident")), let id = db.interner.id(of: k.text) else { return nil }
            return try lookup(EncodedValue(word: id, tag: .keyword), of: identAttr, in: db)
        case .vector(let items) where items.count == 2:
            guard let k = items[0].keyword, let value = Value(edn: items[1]) else {
                throw QueryError("expected a lookup ref [:attribute value]", at: position)
            }
            guard let a = db.attributeID(k) else { return nil }
            guard let v = context.toSource(try context.space.encode(value), of: db) else { return nil }
            return try lookup(v, of: a, in: db)
        default:
            throw QueryError("expected an entity id or lookup ref, found \(EDNWriter.write(edn))", at: position)
        }
    }

    /// The entity holding `value` in `attribute`; in a remote round, nil
    /// until the replica holds that key.
    private func lookup(_ value: EncodedValue, of attribute: UInt32, in db: Database) throws -> Int64? {
        if let gate = context.gate, context.isPrimary(db),
           !(try gate.coversLookup(DatomFilter(a: attribute, v: value), parameters: [.v])) { return nil }
        return db.entity(withValue: value, of: attribute)
    }

    /// At most as many distinct tuples of `variables` as `rows`, or as the
    /// product of their domains.
    func distinctEstimate(_ variables: [String], rows: Double) -> Double {
        let product = variables.reduce(1.0) { $0 * (domains[$1] ?? rows) }
        return max(1, min(rows, product))
    }

    /// Narrows the domains of the pattern's entity and value variables to
    /// what its attribute holds.
    private func noteDomains(_ p: Pattern, stats: Database.AttributeStats?) {
        guard let stats else { return }
        for (i, count) in [(0, stats.distinctEntities), (2, stats.distinctValues)] {
            guard let v = p.terms[i].variable else { continue }
            domains[v] = min(domains[v] ?? .infinity, Double(max(1, count)))
        }
    }

    private func joinPattern(_ p: Pattern, to op: Operator) throws -> Operator {
        let db = try context.source(p.source, at: p.position)
        let facts = try patternFacts(p)
        let estimate = facts.estimate(p, bound: Set(op.columns), rows: op.estimatedRows)
        let shares = !Set(p.terms.compactMap(\.variable)).isDisjoint(with: Set(op.columns))
        noteDomains(p, stats: facts.stats)
        let alone = facts.alone
        // Index lookups per input row hold no memory and cost about what a
        // hash table over the pattern does (measured with `quarry-bench
        // query`); the hash join wins only when the pattern is much smaller.
        let hash: Int
        if let replayed = context.choices.replayed(fits: { $0 == 0 || ($0 == 1 && shares) }) {
            hash = replayed
        } else {
            hash = Self.joinsByHash(alone: alone, rows: op.estimatedRows, shares: shares) ? 1 : 0
            context.choices.record(hash)
        }
        if hash == 1 {
            let unit = try RelationScan.unit(account: context.account)
            let scan = try patternJoin(p, db: db, input: unit, estimatedRows: alone, facts: facts)
            return try HashJoin(left: op, right: scan, buildLeft: false, account: context.account,
                                estimatedRows: estimate)
        }
        return try patternJoin(p, db: db, input: op, estimatedRows: estimate, facts: facts)
    }

    /// Whether a pattern of `alone` rows joins `rows` input rows through a
    /// hash table built on it rather than by index lookups per row.
    static func joinsByHash(alone: Double, rows: Double, shares: Bool) -> Bool {
        shares && alone * 4 <= rows && rows > 1
    }

    /// `facts`: the pattern's (``patternFacts(_:)``), for the stretches of
    /// values a scan of it keeps to (a join with inputs reads no range)
    /// and the filter pushed down to a remote source.
    private func patternJoin(_ p: Pattern, db: Database, input: Operator, estimatedRows: Double,
                             facts: PatternFacts) throws -> PatternJoin {
        var columns = input.columns
        var slots: [PatternJoin.Slot] = []
        var firstPosition: [String: Int] = [:]
        for (i, t) in p.terms.enumerated() {
            switch t.kind {
            case .blank: slots.append(.blank)
            case .source(let s): throw QueryError("unexpected source \(s) in a pattern", at: t.position)
            case .constant: slots.append(.constant(try constant(t, position: i, pattern: p, db: db)))
            case .variable(let v):
                if let c = input.columns.firstIndex(of: v) {
                    slots.append(.input(c))
                } else if let q = firstPosition[v] {
                    slots.append(.same(q))
                } else {
                    firstPosition[v] = i
                    slots.append(.output(columns.count))
                    columns.append(v)
                }
            }
        }
        let join = try PatternJoin(input: input, pattern: p, db: db, slots: slots, columns: columns, context: context,
                                   estimatedRows: estimatedRows, valueRange: facts.valueRange,
                                   pushedFilter: facts.pushedFilter)
        if let gate = join.gate, input.estimatedRows > 0 {
            let keyVariables = slots.compactMap { if case .input(let c) = $0 { input.columns[c] } else { nil } }
            gate.expect(join.gateShape, keys: distinctEstimate(keyVariables, rows: input.estimatedRows * context.runs))
        }
        return join
    }

    // MARK: Rules

    private func rulesNamed(_ name: String, at position: SourcePosition) throws -> [Rule] {
        guard let rules = context.rules[name], !rules.isEmpty else {
            throw QueryError(context.rules.isEmpty && !Builtins.isKnown(name)
                             ? "unknown rule or function \(name)" : "unknown rule \(name)", at: position)
        }
        return rules
    }

    /// Throws unless every body of rule `name` takes as many parameters as
    /// the call gives: every way a call runs (inlined, as a fixpoint, as a
    /// graph search) reads its arguments by the rule's parameters.
    static func checkArity(_ name: String, rules: [Rule], args: [Term], at position: SourcePosition) throws {
        let counts = Set(rules.map(\.parameters.count)).sorted()
        guard counts.count == 1 else {
            throw QueryError("the bodies of rule \(name) take different numbers of arguments ("
                             + counts.map(String.init).joined(separator: ", ") + ")", at: position)
        }
        if counts[0] != args.count {
            throw QueryError("rule \(name) takes \(arguments(counts[0])), called with \(args.count)", at: position)
        }
    }

    private static func arguments(_ n: Int) -> String { n == 1 ? "1 argument" : "\(n) arguments" }

    /// The rules reachable from `name`'s bodies.
    func reachable(from name: String) -> Set<String> {
        var seen: Set<String> = []
        var stack = [name]
        while let n = stack.popLast() {
            for rule in context.rules[n] ?? [] {
                for called in rule.body.reduce(into: Set<String>(), { $0.formUnion($1.ruleCalls) })
                where seen.insert(called).inserted {
                    stack.append(called)
                }
            }
        }
        return seen
    }

    func callRule(_ name: String, args: [Term], source: String, to op: Operator,
                          at position: SourcePosition) throws -> Operator {
        let rules = try rulesNamed(name, at: position)
        try Self.checkArity(name, rules: rules, args: args, at: position)
        try checkStratified(name, at: position)
        if reachable(from: name).contains(name) {
            return try withSource(source) { try recursiveCall(name, args: args, to: op, at: position) }
        }
        let (joinVars, branches) = try expand(rules, name: name, args: args, source: source, at: position)
        return try union(label: "rule \(name)", joinVariables: joinVars, branches: branches, to: op, at: position)
    }

    /// A non-recursive rule's bodies as the branches of a union, with
    /// parameters renamed to the call's arguments and locals made fresh.
    private func expand(_ rules: [Rule], name: String, args: [Term], source: String, at position: SourcePosition) throws
        -> (joinVariables: [String], branches: [(String, [Clause])]) {
        ruleExpansions += 1
        guard ruleExpansions <= Self.maxRuleExpansions else {
            throw QueryError("the query expands more than \(Self.maxRuleExpansions) rule calls", at: position)
        }
        var joinVars: [String] = []
        var branches: [(String, [Clause])] = []
        for arg in args {
            if let v = arg.variable, !joinVars.contains(v) { joinVars.append(v) }
        }
        for rule in rules {
            var map: [String: String] = [:]
            var prefix: [Clause] = []
            for (param, arg) in zip(rule.parameters, args) {
                switch arg.kind {
                case .variable(let v):
                    if let earlier = map[param] {
                        prefix.append(.predicate(Call(name: "=", args: [Term(kind: .variable(earlier), position: arg.position), arg], position: arg.position)))
                    } else {
                        map[param] = v
                    }
                case .constant(let c):
                    fresh += 1
                    let f = "?__arg\(fresh)"
                    map[param] = f
                    prefix.append(.function(Call(name: "ground", args: [Term(kind: .constant(c), position: arg.position)],
                                                 position: arg.position), .variable(f), arg.position))
                default:
                    fresh += 1
                    map[param] = "?__blank\(fresh)"
                }
            }
            let locals = rule.body.reduce(into: Set<String>()) { $0.formUnion($1.allVariables) }
                .subtracting(rule.parameters)
            for v in locals.sorted() {
                fresh += 1
                map[v] = "\(v)__\(fresh)"
            }
            branches.append((source, prefix + rule.body.map { $0.renaming(map) }))
        }
        return (joinVars, branches)
    }

    /// Throws when a rule reachable from `name` depends on its own negation:
    /// a rule that calls, under `not`, a rule that calls it back has no
    /// stratified meaning.
    private func checkStratified(_ name: String, at position: SourcePosition) throws {
        guard !stratified.contains(name) else { return }
        let group = reachable(from: name).union([name])
        for r in group.sorted() {
            for rule in context.rules[r] ?? [] {
                let negated = rule.body.reduce(into: Set<String>()) { $0.formUnion($1.negatedRuleCalls) }
                for n in negated.sorted() where n == r || reachable(from: n).contains(r) {
                    throw QueryError(n == r ? "rule \(r) depends on its own negation (not (\(r) ...)): it cannot be stratified"
                                     : "rules \(r) and \(n) depend on each other through negation: \(r) calls "
                                       + "(not (\(n) ...)) and \(n) reaches \(r); they cannot be stratified",
                                     at: rule.position)
                }
            }
        }
        stratified.formUnion(group)
    }

    /// The name of rule `rule`'s answers for calls binding `bound`:
    /// `reach^bf` (b for bound, f for free), or the rule's name when the
    /// calls bind nothing.
    private static func answers(_ rule: String, _ bound: [Int], arity: Int) -> String {
        bound.isEmpty ? rule : rule + "^" + String((0..<arity).map { bound.contains($0) ? "b" : "f" })
    }

    /// A call of a recursive rule: its answers joined to `op`. The
    /// arguments that are constants or bound in `op` are the call's demand:
    /// the rule's answers are computed for the demanded tuples only.
    private func recursiveCall(_ name: String, args: [Term], to op: Operator, at position: SourcePosition) throws
        -> Operator {
        // `$` is the call's source here (see `withSource`).
        let source = ObjectIdentifier(try context.source("$", at: position))
        let rules = try rulesNamed(name, at: position)
        var bound: [Int] = []
        for (p, arg) in args.enumerated() {
            switch arg.kind {
            case .constant: bound.append(p)
            case .variable(let v) where op.column(v) != nil: bound.append(p)
            default: break
            }
        }
        // Demand is taken where the rule's bodies need an argument bound
        // (`[(> ?n 0)]` before anything binds ?n), or where it stays with
        // the call. A right-linear call from outside is rewritten instead;
        // elsewhere the whole relation, computed once and filtered, costs
        // less than demand as the rounds run it today (each round reads
        // the answers whole).
        var needs = InOrder.Needs(rules: context.rules, levels: Self.maxNestingDepth - context.counters.planDepth)
        if needs.parametersNeeded(name).isEmpty && !demandStaysPut(name, bound: bound, rules: rules) {
            // The rewrite is for calls into the rule from outside: inside its
            // own bodies, a call joins the relation being computed.
            let inside = planningGroup.map { $0.source == source && $0.rules.contains(name) } ?? false
            if !inside, let rewritten = try rightLinearCall(name, args: args, bound: bound, rules: rules, to: op,
                                                            at: position) {
                return rewritten
            }
            bound = []
        }
        // A head naming one parameter twice takes no demand (its columns would repeat).
        if rules.contains(where: { rule in Set(bound.map { rule.parameters[$0] }).count < bound.count }) { bound = [] }
        let key = FixpointKey(source: source, rule: name, bound: bound)
        let fixpoint: RuleFixpoint
        if let existing = fixpoints[key] {
            fixpoint = existing
        } else if let group = planningGroup, group.source == source, group.rules.contains(name) {
            fixpoint = group.fixpoint
            try addAdorned(name, bound, arity: args.count, to: group, key: key)
        } else {
            fixpoint = try planGroup(name, bound, arity: args.count, key: key, source: source, at: position)
        }
        let inside = planningGroup?.fixpoint === fixpoint
        let answers = Self.answers(name, bound, arity: args.count)
        var columns: [String] = []
        var scanArgs: [RuleScan.Arg] = []
        var demand: [DemandTap.Value] = []
        for (p, arg) in args.enumerated() {
            switch arg.kind {
            case .variable(let v):
                if bound.contains(p), let c = op.column(v) { demand.append(.column(c)) }
                if let q = args[..<p].firstIndex(where: { $0.variable == v }) {
                    scanArgs.append(.same(q))
                } else {
                    scanArgs.append(.output(columns.count))
                    columns.append(v)
                }
            case .constant(let c):
                let value = try context.space.encode(try CallEvaluator.constant(c))
                demand.append(.constant(value))
                scanArgs.append(.constant(value))
            default:
                scanArgs.append(.ignore)
            }
        }
        let scan = try RuleScan(ruleName: answers, fixpoint: fixpoint, args: scanArgs, columns: columns,
                                insideGroup: inside, account: context.account)
        guard !bound.isEmpty else {
            // Called with nothing bound before it: the answers are the rows.
            if let unit = op as? RelationScan, unit.columns.isEmpty, unit.relation.count == 1 { return scan }
            return try HashJoin(left: op, right: scan, buildLeft: false, account: context.account,
                                estimatedRows: op.estimatedRows)
        }
        let magic = "magic " + answers
        if demand.allSatisfy({ if case .constant = $0 { true } else { false } }) {
            // Constants only: the demand is known now.
            try fixpoint.demand(magic).appendRow { w in
                for (j, d) in demand.enumerated() { if case .constant(let e) = d { w.set(j, e) } }
            }
            return try HashJoin(left: op, right: scan, buildLeft: false, account: context.account,
                                estimatedRows: op.estimatedRows)
        }
        let tap = DemandTap(input: op, fixpoint: fixpoint, relation: magic, values: demand, insideGroup: inside)
        // Built on the tapped side: every row asks before the answers are
        // read (from outside, so that they are computed for it), and asks
        // even when there are no answers yet (inside, for the next round).
        return try HashJoin(left: tap, right: scan, buildLeft: true, account: context.account,
                            estimatedRows: op.estimatedRows)
    }

    /// Whether demand for `name` bound at `bound` never grows past the
    /// call's own: every recursive call in its bodies is to `name` itself
    /// and passes each bound parameter on unchanged (a left-linear
    /// `(reach ?x ?z) [?z :to ?y]`), so the answers are the call's alone.
    /// A right-linear rule passes a new value on and asks for every node
    /// it reaches.
    private func demandStaysPut(_ name: String, bound: [Int], rules: [Rule]) -> Bool {
        guard !bound.isEmpty else { return false }
        for rule in rules {
            guard let calls = selfCalls(of: name, in: rule) else { return false }
            for (_, args) in calls {
                for p in bound where p >= args.count || p >= rule.parameters.count
                    || args[p].variable != rule.parameters[p] { return false }
            }
        }
        return true
    }

    /// Plans the group of recursive rules `name` belongs to, starting
    /// from `name` adorned with `bound`.
    private func planGroup(_ name: String, _ bound: [Int], arity: Int, key: FixpointKey, source: ObjectIdentifier,
                           at position: SourcePosition) throws -> RuleFixpoint {
        let rules = reachable(from: name).filter { reachable(from: $0).contains(name) }.union([name])
        let group = RuleGroup(fixpoint: RuleFixpoint(account: context.account), source: source, rules: rules)
        let saved = planningGroup
        planningGroup = group
        defer { planningGroup = saved }
        try addAdorned(name, bound, arity: arity, to: group, key: key)
        while let (rule, adornment) = group.worklist.popLast() {
            try planBodies(rule, adornment, in: group.fixpoint, at: position)
        }
        return group.fixpoint
    }

    /// Adds rule `name` adorned with `bound` to the group: its relations
    /// now, its bodies once the body being planned is done.
    private func addAdorned(_ name: String, _ bound: [Int], arity: Int, to group: RuleGroup, key: FixpointKey) throws {
        fixpoints[key] = group.fixpoint
        let answers = Self.answers(name, bound, arity: arity)
        try group.fixpoint.addRelation(answers, arity: arity)
        if !bound.isEmpty { try group.fixpoint.addRelation("magic " + answers, arity: bound.count) }
        group.worklist.append((name, bound))
    }

    /// Plans every body of rule `name` adorned with `bound`: over its
    /// demand (the bound parameters' tuples asked for), or over one empty
    /// row when nothing is bound.
    private func planBodies(_ name: String, _ bound: [Int], in fixpoint: RuleFixpoint,
                            at position: SourcePosition) throws {
        for rule in try rulesNamed(name, at: position) {
            let answers = Self.answers(name, bound, arity: rule.parameters.count)
            let scansBefore = fixpoint.registeredCount
            let input: Operator
            if bound.isEmpty {
                input = try RelationScan.unit(account: context.account)
            } else {
                let columns = bound.map { rule.parameters[$0] }
                input = try RuleScan(ruleName: "magic " + answers, fixpoint: fixpoint,
                                     args: columns.indices.map { .output($0) }, columns: columns, insideGroup: true,
                                     account: context.account)
            }
            let plan = try self.plan(rule.body, input: input, keep: Set(rule.parameters))
            let project = try rule.parameters.map { p throws -> Int in
                guard let c = plan.column(p) else { throw QueryError("rule \(name) does not bind \(p)", at: rule.position) }
                return c
            }
            fixpoint.addBody(.init(name: answers, plan: plan, project: project,
                                   scans: fixpoint.scans(scansBefore..<fixpoint.registeredCount)))
        }
    }
}
