/// Keeps the first occurrence of each row of the chosen columns: the
/// projection to a set, through the core's dedup table.
///
/// When the input is clustered by some of the chosen columns, a row can
/// only repeat inside its run, and a ``RunDeduper`` remembers just the
/// current run instead of every row.
final class Distinct: Operator {
    private let keep: [Int]
    private let seen: RowDeduper?
    private let runs: RunDeduper?
    private let output: RowBuffer
    /// The last projected row of the batch before: the first row of the
    /// next batch that equals it is a repeat.
    private let previous: RowBuffer
    /// Scratch: where a batch's runs of equal projected rows start.
    private var runStartRows: [Int] = []
    private let counters: ExecutionContext.Counters?
    /// The input rows a shared scan may read instead of evaluating its
    /// patterns again (set by the planner when they are the same rows).
    var outerRows: OuterRows?

    init(input: Operator, columns: [String], account: MemoryAccount?, counters: ExecutionContext.Counters? = nil) throws {
        keep = columns.map { input.columns.firstIndex(of: $0)! }
        self.counters = counters
        let clustered = !input.clusteredBy.isEmpty && input.clusteredBy.allSatisfy(columns.contains)
        // Kept columns holding a key of the input are distinct already.
        let keyed = input.uniqueKey.map { $0.isSubset(of: columns) } ?? false
        if keyed {
            seen = nil
            runs = nil
        } else if clustered {
            runs = try RunDeduper(arity: columns.count, runColumns: input.clusteredBy.map { columns.firstIndex(of: $0)! },
                                  account: account)
            seen = nil
        } else {
            seen = try RowDeduper(arity: columns.count, account: account)
            runs = nil
        }
        output = try RowBuffer(arity: columns.count, account: account)
        previous = try RowBuffer(arity: columns.count, account: account)
        super.init(columns: columns, inputs: [input], estimatedRows: input.estimatedRows)
        if clustered { clusteredBy = input.clusteredBy }
        uniqueKey = keyed ? input.uniqueKey : Set(columns)
    }

    override var detail: String {
        "[" + columns.joined(separator: " ") + "]"
            + (runs == nil ? "" : ", per run of [" + clusteredBy.joined(separator: " ") + "]")
            + (seen == nil && runs == nil ? ", distinct already (key [" + (uniqueKey ?? []).sorted().joined(separator: " ") + "])" : "")
    }

    override var heldBytes: Int {
        output.byteCount + (seen?.byteCount ?? 0) + (runs?.byteCount ?? 0) + (outerRows?.byteCount ?? 0)
    }

    /// The most rows a table is sized for before it has seen any.
    static let reserveLimit = 1 << 14

    /// A rewound plan keeps a small table for its next run and frees a big one.
    override func rewind() {
        previous.removeAll()
        seen?.removeAll(keepingUpTo: RowDeduper.keptTableBytes)
        runs?.removeAll()
        outerRows?.reset()
    }

    override func produce() throws -> RowBuffer? {
        guard let batch = try inputs[0].next() else {
            outerRows?.finish()
            return nil
        }
        try outerRows?.keep(batch)
        if seen != nil || runs != nil {
            // A row equal to the one before it (a join's rows of one input row,
            // projected) is a repeat without asking the table: only the rows
            // that begin a run of equal projections are projected (OHLC's
            // bars, 20 to an hour), and the first checked against the last batch's.
            try output.setRunHeads(columns: keep, of: batch, after: previous, starts: &runStartRows)
        } else {
            output.removeAll()
            try output.append(columns: keep, of: batch)
        }
        // Each row left begins a run; one the table drops came back after its run (see OuterRows).
        let runStarts = output.count
        if let runs {
            counters?.rowsDeduplicated += output.count
            try runs.keepNew(output)
            try outerRows?.distinctKept(output.count, of: runStarts)
            return output
        }
        guard let seen else { return output }
        counters?.rowsDeduplicated += output.count
        if seen.count == 0 {
            // Sized for the estimate up front (within reason): growing
            // rehashes every row seen so far, again and again.
            // An estimate may be huge or not finite: the reserve is capped before it becomes an Int.
            let estimate = estimatedRows.isFinite ? max(0, estimatedRows.rounded(.up)) : Double(Distinct.reserveLimit)
            try seen.reserve(Int(min(estimate, Double(Distinct.reserveLimit))))
        }
        try seen.keepNew(output)
        try outerRows?.distinctKept(output.count, of: runStarts)
        return output
    }
}
