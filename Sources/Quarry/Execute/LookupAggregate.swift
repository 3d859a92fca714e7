/// The find rows of a query whose last step looks up one attribute's
/// values of an entity and aggregates them, grouped by keys its input
/// arrives clustered by: a decorrelated subquery such as OHLC's
/// `[:find (avg ?o) :in $ ?sym ?hr :where ... [?bar :price/open ?o]]`.
///
/// It does in one pass what a ``PatternJoin``, a ``Distinct`` per run and
/// a grouping ``FindRows`` would: each run of equal keys is one group (the
/// input's clustering promises no key comes back after its run), the
/// entity's values are folded into the group's running aggregates as the
/// lookup finds them, and no row is made in between. The values are
/// taken as a set per group when an aggregate would count repeats (as
/// the `:find` set of tuples does), in the order they come, so sums and
/// averages add in the same order as the unfused plan.
final class LookupAggregate: Operator {
    let pattern: Pattern
    private let entityColumn: Int
    private let attribute: UInt32
    private let db: Database
    private let keyColumns: [Int]
    private let elements: [FindElement]
    private let kinds: [RunningAggregate.Kind]
    private let distinct: Bool
    private let space: ValueSpace
    private let account: MemoryAccount?
    private let output: RowBuffer
    /// The values of the group being folded, when each counts once.
    private var seen: GroupValueSet?
    /// Scratch: where each batch's runs of equal keys start.
    private var runStarts: [Int] = []
    /// The core's loop for groups of doubles, made at the first run.
    private var fast: LookupFold?
    private var done = false

    init(input: Operator, pattern: Pattern, entityColumn: Int, attribute: UInt32, db: Database, keys: [String],
         elements: [FindElement], distinct: Bool, space: ValueSpace, account: MemoryAccount?) throws {
        self.pattern = pattern
        self.entityColumn = entityColumn
        self.attribute = attribute
        self.db = db
        keyColumns = keys.map { input.columns.firstIndex(of: $0)! }
        self.elements = elements
        kinds = elements.map { RunningAggregate.Kind($0)! }
        self.distinct = distinct
        self.space = space
        self.account = account
        let columns = FindRows.columns(keys: keys, elements: elements)
        output = try RowBuffer(arity: columns.count, account: account)
        super.init(columns: columns, inputs: [input], estimatedRows: input.estimatedRows)
        // One row per run of equal keys, and the input's clustering promises no key comes back.
        uniqueKey = Set(keys)
        // Batches of any size are read in place: a relation (a shared scan's rows) need not be copied out.
        (input as? RelationScan)?.handsOutWhole = true
    }

    override var detail: String {
        "[" + pattern.terms.map(\.text).joined(separator: " ") + "] via EAVT, group by ["
            + keyColumns.map { inputs[0].columns[$0] }.joined(separator: " ") + "] as they come"
            + (distinct ? ", each value once per group" : "")
    }

    override var heldBytes: Int { output.byteCount + (seen?.byteCount ?? 0) + (fast?.byteCount ?? 0) }

    override func rewind() {
        done = false
        seen = nil
    }

    override func produce() throws -> RowBuffer? {
        guard !done else { return nil }
        done = true
        output.removeAll()
        guard let run = db.attributeIndexes[attribute]?.byEntity else {
            // No datom of the attribute: no group has a value.
            while try inputs[0].next() != nil {}
            return output
        }
        var seeker = DatomRun.EntitySeeker(run)
        let keyColumns = self.keyColumns, entityColumn = self.entityColumn, kinds = self.kinds
        let space = self.space, width = kinds.count, distinct = self.distinct
        // The current group: its key, its aggregates, the values it has had.
        var key: [(UInt64, UInt8)] = Array(repeating: (0, 0), count: keyColumns.count)
        var open = false, folded = 0
        var aggregates = Array(repeating: RunningAggregate(), count: width)
        // Locals while they are used: a property would be checked for exclusive access per value.
        var seen = distinct ? try GroupValueSet(account: account) : nil
        var runStarts = self.runStarts
        var fast = try self.fast ?? LookupFold(account: account)
        defer { (self.seen, self.runStarts, self.fast) = (seen, runStarts, fast) }
        while let batch = try inputs[0].next() {
            let arity = batch.arity, stride = batch.stride
            // Where the batch's runs of equal keys start; the first may go on with the open group.
            runStarts.removeAll(keepingCapacity: true)
            batch.appendRunStarts(columns: keyColumns, to: &runStarts)
            runStarts.append(batch.count)
            let first = batch.rowPointer(0)
            var continues = open
            for (j, c) in keyColumns.enumerated() where key[j] != Self.cell(first, c, arity) { continues = false }
            for k in 0..<(runStarts.count - 1) {
                let start = runStarts[k], end = runStarts[k + 1]
                if k > 0 || !continues {
                    if folded > 0 { try emit(key, aggregates) }
                    let row = batch.rowPointer(start)
                    for (j, c) in keyColumns.enumerated() { key[j] = Self.cell(row, c, arity) }
                    open = true
                    folded = 0
                    for j in 0..<width { aggregates[j] = RunningAggregate() }
                    try seen?.startGroup()
                    // A group that ends in this batch (the last run may go on in the next), in one C loop when it can.
                    if k < runStarts.count - 2,
                       let f = try fast.fold(batch.rowPointer(start), count: end - start, stride: stride, arity: arity,
                                             entityColumn: entityColumn, seeker: &seeker, distinct: distinct) {
                        folded = Int(f.count)
                        for j in 0..<width { aggregates[j] = RunningAggregate(doubles: f, kind: kinds[j]) }
                        continue
                    }
                }
                var row = batch.rowPointer(start)
                try aggregates.withUnsafeMutableBufferPointer { aggregates in
                    for _ in start..<end {
                        defer { row += stride }
                        let entity = RowBuffer.value(at: row, column: entityColumn, arity: arity)
                        guard entity.tag == .int || entity.tag == .ref else { continue }
                        // The entity's datoms in the chunk they start in, then any in the chunks after.
                        var (datoms, _, rest) = seeker.locate(Int64(bitPattern: entity.word))
                        var chunk = seeker.chunk + 1
                        while true {
                            for d in datoms {
                                let v = d.value
                                if distinct, try !seen!.insert(v) { continue }
                                folded += 1
                                for j in 0..<width { aggregates[j].fold(v, kind: kinds[j], space: space) }
                            }
                            guard !rest.isEmpty else { break }
                            let piece = run.piece(from: rest.lowerBound, upTo: rest.upperBound, chunk: chunk)
                            (datoms, rest, chunk) = (piece.datoms, rest.lowerBound + piece.datoms.count..<rest.upperBound,
                                                     piece.chunk + 1)
                        }
                    }
                }
            }
        }
        if folded > 0 { try emit(key, aggregates) }
        return output
    }

    @inline(__always)
    private static func cell(_ row: UnsafeRawPointer, _ column: Int, _ arity: Int) -> (UInt64, UInt8) {
        (row.load(fromByteOffset: column &* 8, as: UInt64.self), row.load(fromByteOffset: arity &* 8 &+ column, as: UInt8.self))
    }

    /// Appends the row of one finished group: its key, then each aggregate.
    /// Written straight into the row (a row whose aggregate fails is not added).
    private func emit(_ key: [(UInt64, UInt8)], _ aggregates: [RunningAggregate]) throws {
        try output.appendRow { w in
            for (j, (word, tag)) in key.enumerated() { w.set(j, word: word, tag: tag) }
            for j in kinds.indices { w.set(key.count + j, try aggregates[j].encoded(kinds[j], of: elements[j], space: space)) }
        }
    }
}
