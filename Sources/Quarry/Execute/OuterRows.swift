/// The input rows of a ``Distinct`` kept for a ``SharedScan`` whose
/// patterns the outer query has evaluated already: OHLC's outer query finds
/// every bar of a symbol and hour, `[?b :price/symbol ?s] [?b :price/hour
/// ?hour]`, and projects them to the distinct `[?s ?hour]` its subqueries
/// take, whose shared scan would then find the same bars again for each
/// symbol and hour. The planner proves the rows the same (`outerMatch` and
/// `outerRowsDistinct` in ``Planner``); the scan reads these instead when
/// they arrived grouped by the subqueries' arguments (no argument tuple
/// came back after its run of rows ended), the grouping the scan's readers
/// rely on. When one does come back, the rows are dropped at once and the
/// scan evaluates its patterns.
final class OuterRows {
    /// The input columns kept, in the shared scan's column order.
    let columns: [Int]
    /// The arguments' columns in the input.
    let keyColumns: [Int]
    /// Whether the `Distinct` keeping the rows projects them to exactly
    /// the arguments: then it checks the grouping itself, as it removes
    /// repeats (``distinctKept(_:of:)``), and no second table is kept here.
    let checkedByDistinct: Bool
    private(set) var rows: RowBuffer
    private(set) var grouped = true
    /// Whether the input has been read to its end.
    private(set) var complete = false
    private let account: MemoryAccount?
    /// The argument tuples whose runs have begun, and the last one.
    private let begun: RowDeduper
    private let last: RowBuffer
    // Scratch: where a batch's runs begin, and their tuples.
    private var runStarts: [Int] = []
    private let starts: RowBuffer

    init(columns: [Int], keyColumns: [Int], checkedByDistinct: Bool, account: MemoryAccount?) throws {
        self.columns = columns
        self.keyColumns = keyColumns
        self.checkedByDistinct = checkedByDistinct
        self.account = account
        rows = try RowBuffer(arity: columns.count, account: account)
        begun = try RowDeduper(arity: keyColumns.count, account: account)
        last = try RowBuffer(arity: keyColumns.count, account: account)
        starts = try RowBuffer(arity: keyColumns.count, account: account)
    }

    /// Whether the scan may read the rows: all of them, grouped.
    var usable: Bool { grouped && complete }
    var byteCount: Int { rows.byteCount + begun.byteCount + starts.byteCount }

    /// Keeps a batch of the input, checking that each run of equal
    /// argument tuples in it (the first may go on with the last batch's)
    /// begins a tuple not seen before.
    func keep(_ batch: RowBuffer) throws {
        guard grouped, batch.count > 0 else { return }
        try rows.append(columns: columns, of: batch)
        guard !checkedByDistinct else { return }
        try starts.setRunHeads(columns: keyColumns, of: batch, after: last, starts: &runStarts)
        guard starts.count > 0 else { return }
        let begins = starts.count
        try begun.keepNew(starts)
        if starts.count != begins { try ungroup() }
    }

    /// The `Distinct` kept `kept` of a batch's `runStarts` rows that did
    /// not repeat the one before them; over exactly the arguments, a row it
    /// dropped is a tuple that came back after its run ended.
    func distinctKept(_ kept: Int, of runStarts: Int) throws {
        if checkedByDistinct && kept != runStarts { try ungroup() }
    }

    /// A tuple came back after its run ended: the rows are of no use, and their memory goes.
    private func ungroup() throws {
        guard grouped else { return }
        grouped = false
        rows = try RowBuffer(arity: columns.count, account: account)
        begun.removeAll(keepingUpTo: 0)
    }

    func finish() { complete = true }

    /// The `Distinct` is rewound: its next run keeps its rows anew.
    func reset() {
        rows.removeAll()
        begun.removeAll(keepingUpTo: RowDeduper.keptTableBytes)
        last.removeAll()
        grouped = true
        complete = false
    }
}
