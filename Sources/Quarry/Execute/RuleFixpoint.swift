/// The relations of a group of recursive rules, computed bottom-up to a
/// fixpoint.
///
/// A group holds, per rule and *adornment* (which arguments its calls
/// bind), the rule's answers, and for a bound adornment its *demand*: the
/// bound argument tuples asked for (magic sets). A body of an adorned rule
/// runs over its demand, and a call to a rule with bound arguments adds
/// them to that rule's demand, so a call such as `(reach 1 ?y)` computes
/// only what is reachable from 1, and a rule whose body needs its
/// arguments bound (`[(> ?n 0)]`) can run at all. Calls seed demand as
/// they run, and the fixpoint goes on from where it stopped whenever
/// demand has come since: every relation only grows.
///
/// Semi-naive evaluation: the first round runs every body once over the
/// whole relations; each later round runs each body once per scan of the
/// group it makes (its demand, its recursive calls), that scan reading
/// only the tuples the previous round added (the delta) and the others the
/// whole relations. New tuples go through the core's dedup table; the
/// fixpoint ends when a round adds nothing. Every round checks the query's
/// interrupt, and relations and dedup tables are charged to the query's
/// account, so a rule that generates values without end is stopped by a
/// deadline, a cancellation or the memory budget.
final class RuleFixpoint {
    private(set) var relations: [String: RowBuffer] = [:]
    private var deltas: [String: RowBuffer] = [:]
    private var sets: [String: RowDeduper] = [:]
    /// Tuples added from outside the rounds (demand from calls) since the
    /// last round: merged before the next one.
    private var pending: [String: RowBuffer] = [:]
    private var bodies: [Body] = []
    private var started = false
    let account: MemoryAccount?
    /// Scans of the group's relations made while planning its bodies, in order.
    private var registered: [RuleScan] = []

    struct Body {
        /// The relation the body's head adds to.
        let name: String
        let plan: Operator
        let project: [Int]
        /// The body's scans of the group's relations.
        let scans: [RuleScan]
    }

    init(account: MemoryAccount?) {
        self.account = account
    }

    /// Adds a relation of `arity` columns to the group.
    func addRelation(_ name: String, arity: Int) throws {
        guard relations[name] == nil else { return }
        relations[name] = try RowBuffer(arity: arity, account: account)
        deltas[name] = try RowBuffer(arity: arity, account: account)
        pending[name] = try RowBuffer(arity: arity, account: account)
        sets[name] = try RowDeduper(arity: arity, account: account)
    }

    func addBody(_ body: Body) {
        bodies.append(body)
    }

    /// Called by each scan inside the group as it is made.
    func register(_ scan: RuleScan) { registered.append(scan) }

    /// How many scans have registered: the planner notes it before and
    /// after planning a body to know that body's scans.
    var registeredCount: Int { registered.count }

    func scans(_ range: Range<Int>) -> [RuleScan] { Array(registered[range]) }

    /// Where tuples asked for relation `name` are put until the next round.
    func demand(_ name: String) -> RowBuffer { pending[name]! }

    /// The whole relation, computed to the fixpoint of what has been asked.
    func relation(_ name: String) throws -> RowBuffer {
        if !started || pending.values.contains(where: { $0.count > 0 }) { try compute() }
        return relations[name]!
    }

    /// The relation as the running round sees it (inside the group).
    func snapshot(_ name: String) -> RowBuffer { relations[name]! }

    /// The tuples the previous round added.
    func delta(_ name: String) -> RowBuffer { deltas[name]! }

    private func compute() throws {
        var first = !started
        started = true
        for delta in deltas.values { delta.removeAll() }
        if try !mergePending() && !first { return }
        while true {
            try QueryInterrupt.check()
            var additions: [(String, RowBuffer)] = []
            for body in bodies {
                if first {
                    additions.append((body.name, try run(body)))
                    continue
                }
                for scan in body.scans {
                    scan.readsDelta = true
                    defer { scan.readsDelta = false }
                    additions.append((body.name, try run(body)))
                }
            }
            first = false
            for delta in deltas.values { delta.removeAll() }
            var changed = false
            for (name, fresh) in additions where try add(fresh, to: name) { changed = true }
            if try mergePending() { changed = true }
            if !changed { return }
        }
    }

    /// Adds the new ones of `rows` to relation `name` and its delta; whether there were any.
    private func add(_ rows: RowBuffer, to name: String) throws -> Bool {
        try sets[name]!.keepNew(rows)
        guard rows.count > 0 else { return false }
        try relations[name]!.append(contentsOf: rows)
        try deltas[name]!.append(contentsOf: rows)
        return true
    }

    /// Moves the demand that came since the last round into the relations.
    private func mergePending() throws -> Bool {
        var changed = false
        for (name, rows) in pending where rows.count > 0 {
            let fresh = try RowBuffer(arity: rows.arity, account: account)
            try fresh.append(contentsOf: rows)
            rows.removeAll()
            if try add(fresh, to: name) { changed = true }
        }
        return changed
    }

    /// One run of a body: its head tuples.
    private func run(_ body: Body) throws -> RowBuffer {
        let fresh = try RowBuffer(arity: relations[body.name]!.arity, account: account)
        body.plan.reset()
        while let rows = try body.plan.next() { try fresh.append(columns: body.project, of: rows) }
        return fresh
    }
}

/// Passes its input's rows through and asks a rule group for the call's
/// bound arguments of each (the rule's demand).
final class DemandTap: Operator {
    enum Value {
        case column(Int)
        case constant(EncodedValue)
    }

    /// A tap inside the group's own bodies is owned by the fixpoint, so it
    /// must not own it back; a tap of a call from outside keeps it alive.
    private unowned let fixpoint: RuleFixpoint
    private let owner: RuleFixpoint?
    private let relation: String
    private let values: [Value]

    init(input: Operator, fixpoint: RuleFixpoint, relation: String, values: [Value], insideGroup: Bool) {
        self.fixpoint = fixpoint
        self.owner = insideGroup ? nil : fixpoint
        self.relation = relation
        self.values = values
        super.init(columns: input.columns, inputs: [input], estimatedRows: input.estimatedRows)
        clusteredBy = input.clusteredBy
    }

    override var detail: String { "asks \(relation)" }

    override func produce() throws -> RowBuffer? {
        guard let batch = try inputs[0].next() else { return nil }
        let demand = fixpoint.demand(relation)
        for r in 0..<batch.count {
            try demand.appendRow { w in
                for (j, v) in values.enumerated() {
                    switch v {
                    case .column(let c): w.set(j, batch.value(r, c))
                    case .constant(let e): w.set(j, e)
                    }
                }
            }
        }
        return batch
    }
}

/// Reads a rule's relation for one call: columns for the call's distinct
/// variables, rows filtered by its constants and repeated variables.
final class RuleScan: Operator {
    let ruleName: String
    /// Scans inside the group's own bodies are owned by the fixpoint, so
    /// they must not own it back; a call from outside keeps it alive.
    unowned let fixpoint: RuleFixpoint
    private let owner: RuleFixpoint?
    /// Per rule parameter: an output column, a constant, or an earlier parameter it must equal.
    enum Arg {
        case output(Int)
        case constant(EncodedValue)
        case same(Int)
        case ignore
    }

    let args: [Arg]
    let insideGroup: Bool
    /// Inside the group: read the previous round's new tuples instead of the whole relation.
    var readsDelta = false
    /// The relation being read, and the next row of it to look at.
    private var reading: RowBuffer?
    private var position = 0
    private let output: RowBuffer

    init(ruleName: String, fixpoint: RuleFixpoint, args: [Arg], columns: [String], insideGroup: Bool,
         account: MemoryAccount?) throws {
        self.ruleName = ruleName
        self.fixpoint = fixpoint
        self.owner = insideGroup ? nil : fixpoint
        self.args = args
        self.insideGroup = insideGroup
        output = try RowBuffer(arity: columns.count, account: account)
        super.init(columns: columns, inputs: [], estimatedRows: 100)
        // A relation's rows are distinct, and so is any projection that
        // drops only constant columns.
        if !args.contains(where: { if case .ignore = $0 { true } else { false } }) { clusteredBy = columns }
        if insideGroup { fixpoint.register(self) }
    }

    override var detail: String { "(\(ruleName) ...) fixpoint" + (insideGroup ? ", previous round" : "") }

    override func rewind() {
        reading = nil
        position = 0
    }

    /// The matching rows of the relation, a batch at a time.
    override func produce() throws -> RowBuffer? {
        if reading == nil {
            reading = insideGroup ? (readsDelta ? fixpoint.delta(ruleName) : fixpoint.snapshot(ruleName))
                : try fixpoint.relation(ruleName)
        }
        let rel = reading!
        guard position < rel.count else { return nil }
        let end = min(rel.count, position + Operator.batchSize)
        defer { position = end }
        output.removeAll()
        rows: for r in position..<end {
            for (p, a) in args.enumerated() {
                switch a {
                case .constant(let v): if rel.value(r, p) != v { continue rows }
                case .same(let q): if rel.value(r, p) != rel.value(r, q) { continue rows }
                default: break
                }
            }
            try output.appendRow { w in
                for (p, a) in args.enumerated() {
                    if case .output(let c) = a { w.set(c, rel.value(r, p)) }
                }
            }
        }
        return output
    }
}
