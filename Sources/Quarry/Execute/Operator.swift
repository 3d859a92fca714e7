/// A physical operator: pulls batches of rows from its inputs and hands out
/// batches of its own.
///
/// Each operator's output is a ``RowBuffer`` whose columns are the
/// variables in ``columns``. A batch is valid until the next call to
/// ``next()``. ``reset()`` rewinds the operator and its inputs so a
/// sub-plan can run again on new input. EXPLAIN prints the tree with
/// ``name`` (the class name, so a plan leads to the code), ``detail``,
/// the planner's estimate and, after an analyzed run, the actual rows and
/// the engine bytes the operator held at its peak.
class Operator {
    let columns: [String]
    var inputs: [Operator]
    var estimatedRows: Double
    private(set) var actualRows = 0
    private(set) var peakBytes = 0
    /// Columns whose rows arrive together: all rows agreeing on them form
    /// one contiguous run of the operator's output between rewinds, and no
    /// two runs agree (empty: no such promise). A relation of distinct rows
    /// is clustered by all its columns, and joins that extend each input
    /// row in place keep their input's clustering; ``Distinct`` then only
    /// has to remember the current run.
    var clusteredBy: [String] = []
    /// Columns no two output rows agree on all of (empty: at most one row;
    /// nil: no such promise). ``Distinct`` over columns holding a key has
    /// nothing to remove and remembers nothing.
    var uniqueKey: Set<String>?

    /// Rows per batch an operator aims for.
    static let batchSize = 1024

    /// Calls of ``next()`` between two checks of the query's interrupt
    /// (cancellation, deadline): the first call checks, then every 32nd.
    /// Checking on every call cost the streaming OHLC query about a fifth
    /// of its time (thousands of subquery runs, a few batches each); 32
    /// batches of an operator are still a few milliseconds of work.
    static let interruptStride = 32
    private var untilInterruptCheck = 0

    init(columns: [String], inputs: [Operator], estimatedRows: Double) {
        self.columns = columns
        self.inputs = inputs
        self.estimatedRows = estimatedRows
    }

    var name: String { String(describing: type(of: self)) }
    var detail: String { "" }

    /// Engine bytes this operator holds now (its materialized state).
    var heldBytes: Int { 0 }

    /// The next non-empty batch, or nil when the operator is done.
    final func next() throws -> RowBuffer? {
        if untilInterruptCheck == 0 {
            try QueryInterrupt.check()
            untilInterruptCheck = Operator.interruptStride
        }
        untilInterruptCheck -= 1
        do {
            return try pull()
        } catch let e as CoreError where e.kind == .budgetExceeded {
            // Named by the innermost operator that hit it; outer ones pass it on.
            throw BudgetExceeded(operatorText: name + (detail.isEmpty ? "" : " " + detail), operation: e.operation)
        }
    }

    /// The query's memory budget ran out inside an operator.
    struct BudgetExceeded: Error {
        let operatorText: String
        let operation: String
    }

    private func pull() throws -> RowBuffer? {
        while let batch = try produce() {
            peakBytes = max(peakBytes, heldBytes)
            if batch.count > 0 {
                actualRows += batch.count
                return batch
            }
        }
        peakBytes = max(peakBytes, heldBytes)
        return nil
    }

    /// Subclasses: the next batch (possibly empty) or nil at the end.
    func produce() throws -> RowBuffer? { nil }

    /// Rewinds this operator and its inputs.
    func reset() {
        for input in inputs { input.reset() }
        rewind()
    }

    /// Subclasses: forget per-run state.
    func rewind() {}

    func column(_ variable: String) -> Int? { columns.firstIndex(of: variable) }

    /// Runs the operator to the end and collects every row.
    func drain(account: MemoryAccount?) throws -> RowBuffer {
        let out = try RowBuffer(arity: columns.count, account: account)
        while let batch = try next() { try out.append(contentsOf: batch) }
        return out
    }
}

/// Hands out the rows of a relation held in memory: the query's inputs, or
/// the input of a sub-plan, set anew before each run.
class RelationScan: Operator {
    var relation: RowBuffer
    private var position = 0
    private let batch: RowBuffer
    let label: String
    /// Whether this is one empty row for good (``unit(account:)``, or a
    /// query's start without inputs): a scan on it streams.
    var isUnit = false
    /// Whether the consumer takes a batch of any size and only reads it:
    /// then the relation goes out whole, as one batch, instead of copied a
    /// batch at a time (a shared scan's 400,000 rows, read by each of
    /// OHLC's four subqueries, were 13 MB copied per read).
    var handsOutWhole = false

    init(_ relation: RowBuffer, columns: [String], label: String) throws(CoreError) {
        self.relation = relation
        self.label = label
        self.batch = try RowBuffer(arity: columns.count, account: relation.account)
        super.init(columns: columns, inputs: [], estimatedRows: Double(relation.count))
    }

    override var detail: String { label }
    override var heldBytes: Int { relation.byteCount + batch.byteCount }

    override func produce() throws -> RowBuffer? {
        guard position < relation.count else { return nil }
        if position == 0 && (relation.count <= Operator.batchSize || handsOutWhole) {
            position = relation.count
            return relation
        }
        batch.removeAll()
        let end = min(relation.count, position + Operator.batchSize)
        try batch.append(contentsOf: relation, rows: position..<end)
        position = end
        return batch
    }

    override func rewind() { position = 0 }

    /// The relation with one empty row: what a query with no inputs starts from.
    static func unit(account: MemoryAccount?) throws -> RelationScan {
        let one = try RowBuffer(arity: 0, account: account)
        try one.appendRow { _ in }
        let scan = try RelationScan(one, columns: [], label: "one empty row")
        scan.uniqueKey = []
        scan.isUnit = true
        return scan
    }
}
