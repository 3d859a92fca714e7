/// The leading patterns that several decorrelated subqueries with the same
/// arguments have in common, evaluated once over their distinct argument
/// tuples and read by each of them.
///
/// Each subquery asks for the rows of its own argument tuples. Its rows
/// are grouped by those tuples and joined back by them, so rows of other
/// tuples are harmless: the cached rows serve any request whose tuples
/// they cover, and are recomputed only for a tuple they lack.
final class SharedScan {
    /// The distinct argument tuples the prefix last ran over.
    let input: RelationScan
    /// The prefix patterns, planned over `input`.
    let plan: Operator
    let label: String
    private let account: MemoryAccount?
    private var rows: RowBuffer?
    private var covered: RowDeduper?
    private(set) var runs = 0
    /// The outer query's own rows for these patterns, when the planner
    /// proved them the same (``OuterRows``): read instead of running the
    /// plan when they came grouped. They hold every argument tuple the
    /// subqueries are given, since their outer rows descend from them.
    var outerRows: OuterRows?

    init(input: RelationScan, plan: Operator, label: String, account: MemoryAccount?) {
        self.input = input
        self.plan = plan
        self.label = label
        self.account = account
    }

    var byteCount: Int { (rows?.byteCount ?? 0) + (covered?.byteCount ?? 0) }

    /// The prefix's rows for every tuple of `keys` (and possibly others).
    func rows(for keys: RowBuffer) throws -> RowBuffer {
        if let outerRows, outerRows.usable { return outerRows.rows }
        if let rows, let covered, try covers(covered, keys) { return rows }
        input.relation = keys
        plan.reset()
        let result = try plan.drain(account: account)
        plan.reset()
        let seen = try RowDeduper(arity: keys.arity, account: account)
        try seen.insert(keys)
        (rows, covered) = (result, seen)
        runs += 1
        return result
    }

    private func covers(_ covered: RowDeduper, _ keys: RowBuffer) throws -> Bool {
        let present = try covered.mark(keys, present: true)
        return (0..<keys.count).allSatisfy { present[$0] == 1 }
    }

    /// Frees the cached rows (the plan around the subqueries is rewound).
    func invalidate() {
        rows = nil
        covered = nil
    }
}

/// Hands a subquery the rows of its ``SharedScan`` for the argument tuples
/// its run is given, under the subquery's own variable names.
final class SharedScanRead: RelationScan {
    let shared: SharedScan
    /// Where the subquery puts the argument tuples of its run.
    private let keys: RelationScan
    private var loaded = false

    init(_ shared: SharedScan, keys: RelationScan, columns: [String], showsPlan: Bool) throws {
        self.shared = shared
        self.keys = keys
        try super.init(RowBuffer(arity: columns.count, account: keys.relation.account), columns: columns,
                       label: shared.label)
        estimatedRows = shared.plan.estimatedRows
        // The shared rows, under this reader's names.
        clusteredBy = shared.plan.clusteredBy.map { columns[shared.plan.columns.firstIndex(of: $0)!] }
        // The shared plan is printed under its first reader only.
        if showsPlan { inputs = [shared.plan] }
    }

    override var heldBytes: Int { shared.byteCount }

    override func produce() throws -> RowBuffer? {
        if !loaded {
            relation = try shared.rows(for: keys.relation)
            loaded = true
        }
        return try super.produce()
    }

    /// Rewinding the subquery's plan after a run leaves the shared rows for
    /// the next subquery; the plan around them frees them (``SharedScan/invalidate()``).
    override func reset() { rewind() }

    override func rewind() {
        super.rewind()
        loaded = false
    }
}
