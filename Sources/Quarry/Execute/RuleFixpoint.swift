/// The full relation of a recursive rule (and the rules recursive with it),
/// computed bottom-up to a fixpoint once per query.
///
/// Semi-naive evaluation: the first round runs every body once over empty
/// relations; each later round runs each recursive body once per call it
/// makes inside the group, that call reading only the tuples the previous
/// round added (the delta) and the others the whole relations. A derivation
/// that uses a new tuple is found in the round after that tuple appeared,
/// so each round costs what the last one added, not all that came before.
/// New head tuples go through the core's dedup table; the fixpoint ends
/// when a round adds nothing. Every round checks the query's interrupt, and
/// relations and dedup tables are charged to the query's account, so a rule
/// that generates values without end is stopped by a deadline, a
/// cancellation or the memory budget.
final class RuleFixpoint {
    let names: [String]
    private(set) var relations: [String: RowBuffer] = [:]
    private var deltas: [String: RowBuffer] = [:]
    private var sets: [String: RowDeduper] = [:]
    private var bodies: [Body] = []
    private var computed = false
    let account: MemoryAccount?
    /// Scans of the group's relations made while planning its bodies, in order.
    private var registered: [RuleScan] = []

    struct Body {
        let name: String
        let plan: Operator
        let project: [Int]
        /// The body's calls inside the group.
        let scans: [RuleScan]
    }

    init(names: [String], account: MemoryAccount?) {
        self.names = names
        self.account = account
    }

    /// Called by each scan inside the group as it is made.
    func register(_ scan: RuleScan) { registered.append(scan) }

    /// How many scans have registered: the planner notes it before and
    /// after planning a body to know that body's scans.
    var registeredCount: Int { registered.count }

    func scans(_ range: Range<Int>) -> [RuleScan] { Array(registered[range]) }

    func setUp(arities: [String: Int], bodies: [Body]) throws {
        for name in names {
            let arity = arities[name] ?? 0
            relations[name] = try RowBuffer(arity: arity, account: account)
            deltas[name] = try RowBuffer(arity: arity, account: account)
            sets[name] = try RowDeduper(arity: arity, account: account)
        }
        self.bodies = bodies
    }

    func relation(_ name: String) throws -> RowBuffer {
        if !computed {
            computed = true
            try compute()
        }
        return relations[name]!
    }

    /// The relation as the running round sees it (inside the group).
    func snapshot(_ name: String) -> RowBuffer { relations[name]! }

    /// The tuples the previous round added.
    func delta(_ name: String) -> RowBuffer { deltas[name]! }

    private func compute() throws {
        var first = true
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
            for name in names { deltas[name]!.removeAll() }
            var changed = false
            for (name, fresh) in additions {
                try sets[name]!.keepNew(fresh)
                if fresh.count > 0 { changed = true }
                try relations[name]!.append(contentsOf: fresh)
                try deltas[name]!.append(contentsOf: fresh)
            }
            if !changed { return }
        }
    }

    /// One run of a body: its head tuples.
    private func run(_ body: Body) throws -> RowBuffer {
        let fresh = try RowBuffer(arity: relations[body.name]!.arity, account: account)
        body.plan.reset()
        while let rows = try body.plan.next() { try fresh.append(columns: body.project, of: rows) }
        return fresh
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
    private var done = false
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
        if insideGroup { fixpoint.register(self) }
    }

    override var detail: String { "(\(ruleName) ...) fixpoint" + (insideGroup ? ", previous round" : "") }

    override func rewind() { done = false }

    override func produce() throws -> RowBuffer? {
        guard !done else { return nil }
        done = true
        let rel = insideGroup ? (readsDelta ? fixpoint.delta(ruleName) : fixpoint.snapshot(ruleName))
            : try fixpoint.relation(ruleName)
        output.removeAll()
        rows: for r in 0..<rel.count {
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
