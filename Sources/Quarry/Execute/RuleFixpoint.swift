/// The full relation of a recursive rule (and the rules recursive with it),
/// computed bottom-up to a fixpoint once per query.
///
/// Each round runs every body of every rule in the group, with calls inside
/// the group reading the relations as the previous round left them, and
/// adds the new head tuples through the core's dedup table; it stops when a
/// round adds nothing. (Naive iteration: each round recomputes everything;
/// semi-naive evaluation would only join the last round's new tuples.)
final class RuleFixpoint {
    let names: [String]
    private(set) var relations: [String: RowBuffer] = [:]
    private var sets: [String: RowDeduper] = [:]
    private var bodies: [(name: String, plan: Operator, project: [Int])] = []
    private var computed = false
    let account: MemoryAccount?

    init(names: [String], account: MemoryAccount?) {
        self.names = names
        self.account = account
    }

    func setUp(arities: [String: Int], bodies: [(name: String, plan: Operator, project: [Int])]) throws {
        for name in names {
            let arity = arities[name] ?? 0
            relations[name] = try RowBuffer(arity: arity, account: account)
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

    private func compute() throws {
        var changed = true
        while changed {
            changed = false
            var additions: [(String, RowBuffer)] = []
            for body in bodies {
                let rel = relations[body.name]!
                let fresh = try RowBuffer(arity: rel.arity, account: account)
                body.plan.reset()
                while let rows = try body.plan.next() { try fresh.append(columns: body.project, of: rows) }
                additions.append((body.name, fresh))
            }
            for (name, fresh) in additions {
                try sets[name]!.keepNew(fresh)
                if fresh.count > 0 { changed = true }
                try relations[name]!.append(contentsOf: fresh)
            }
        }
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
    }

    override var detail: String { "(\(ruleName) ...) fixpoint" + (insideGroup ? ", previous round" : "") }

    override func rewind() { done = false }

    override func produce() throws -> RowBuffer? {
        guard !done else { return nil }
        done = true
        let rel = insideGroup ? fixpoint.snapshot(ruleName) : try fixpoint.relation(ruleName)
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
