/// Aggregates computed while the rows stream past, one accumulator per
/// group and aggregate, for the aggregates that need no more than a running
/// state: `count`, `sum`, `avg`, `min` and `max` (without n). The rows are
/// not kept: a group's key goes into the core's dedup table (whose dense
/// index is the group's number) and its first occurrence into `groupKeys`.
///
/// Results equal ``Aggregates/compute(_:_:space:)`` over the group's values
/// in row order, errors included (raised at the end, group by group, as a
/// computation after the fact would meet them).
final class GroupAccumulators {
    private typealias Accumulator = RunningAggregate
    private typealias Kind = RunningAggregate.Kind

    /// Whether every aggregate among `elements` has a running form.
    static func supports(_ elements: [FindElement]) -> Bool {
        elements.allSatisfy { e in
            guard case .aggregate = e else { return true }
            return RunningAggregate.Kind(e) != nil
        }
    }

    private let elements: [FindElement]
    /// Columns of the input: group key columns, then each element's column.
    private let groupColumns: [Int]
    private let aggregateIndexes: [Int]
    /// Per aggregate: its kind and input column (decided once, not per row).
    private let kinds: [Kind]
    private let aggregateColumns: [Int]
    private let space: ValueSpace
    private let keys: DedupSet?
    private let batchKeys: RowBuffer
    private let groupIDs: CoreVector<UInt64>
    private let fresh: CoreVector<UInt8>
    /// The key of each group, in group order.
    let groupKeys: RowBuffer
    /// Per group, one accumulator per aggregate (group-major).
    private var accumulators: [Accumulator] = []
    /// Scratch for ``add(_:)``, kept to reuse its capacity.
    private var runStarts: [Int] = []

    init(groupColumns: [Int], elements: [FindElement], elementColumns: [Int], space: ValueSpace,
         account: MemoryAccount?) throws {
        self.elements = elements
        self.groupColumns = groupColumns
        aggregateIndexes = elements.indices.filter { elements[$0].isAggregate }
        kinds = aggregateIndexes.map { RunningAggregate.Kind(elements[$0]) ?? .count }
        aggregateColumns = aggregateIndexes.map { elementColumns[$0] }
        self.space = space
        keys = groupColumns.isEmpty ? nil : try DedupSet(arity: groupColumns.count, account: account)
        batchKeys = try RowBuffer(arity: groupColumns.count, account: account)
        groupIDs = CoreVector(account: account)
        fresh = CoreVector(account: account)
        groupKeys = try RowBuffer(arity: groupColumns.count, account: account)
    }

    var groupCount: Int { groupKeys.count }
    var byteCount: Int {
        (keys?.byteCount ?? 0) + batchKeys.byteCount + groupIDs.byteCount + fresh.byteCount + groupKeys.byteCount
            + accumulators.count * MemoryLayout<Accumulator>.stride
    }

    /// Folds every row of `batch` into its group.
    func add(_ batch: RowBuffer) throws {
        guard batch.count > 0 else { return }
        let width = aggregateIndexes.count
        // Mutated as locals: class properties would pay an exclusivity check per row.
        var accumulators = self.accumulators, runStarts = self.runStarts
        self.accumulators = []
        defer { self.accumulators = accumulators; self.runStarts = runStarts }
        // A join emits the rows of one key together: a row whose key equals
        // the row before's joins its group without going through the table.
        // `runStarts` holds the rows that start a new run of equal keys.
        runStarts.removeAll(keepingCapacity: true)
        if let keys {
            batch.appendRunStarts(columns: groupColumns, to: &runStarts)
            batchKeys.removeAll()
            try batchKeys.append(columns: groupColumns, of: batch, rowList: runStarts)
            try keys.insertAll(batchKeys, indices: groupIDs, fresh: fresh)
            // The table numbers new keys in the order they come, which is
            // the order their groups are opened in here.
            for run in runStarts.indices where fresh[run] != 0 {
                try newGroup(copying: run, of: batchKeys, width: width, into: &accumulators)
            }
        } else if groupKeys.count == 0 {
            try newGroup(copying: nil, of: batchKeys, width: width, into: &accumulators)
        }
        guard width > 0 else { return }
        let grouped = keys != nil, groupIDs = self.groupIDs, arity = batch.arity, stride = batch.stride, space = self.space
        kinds.withUnsafeBufferPointer { kinds in
            aggregateColumns.withUnsafeBufferPointer { columns in
                runStarts.withUnsafeBufferPointer { runStarts in
                    accumulators.withUnsafeMutableBufferPointer { accumulators in
                        var run = -1, g = 0
                        var row = batch.rowPointer(0)
                        for r in 0..<batch.count {
                            if grouped && run + 1 < runStarts.count && runStarts[run + 1] == r {
                                run += 1
                                g = Int(groupIDs[run])
                            }
                            for j in 0..<width {
                                accumulators[g &* width &+ j].fold(RowBuffer.value(at: row, column: columns[j], arity: arity),
                                                                   kind: kinds[j], space: space)
                            }
                            row += stride
                        }
                    }
                }
            }
        }
    }

    private func newGroup(copying row: Int?, of keys: RowBuffer, width: Int,
                          into accumulators: inout [Accumulator]) throws {
        if let row { try groupKeys.append(copyOf: row, from: keys) } else { try groupKeys.appendRow { _ in } }
        accumulators.append(contentsOf: repeatElement(Accumulator(), count: width))
    }

    /// The `j`-th aggregate of group `g`, encoded: found by its kind (the
    /// aggregate's name only for an error's message).
    func encodedValue(group g: Int, aggregate j: Int) throws -> EncodedValue {
        try accumulators[g * aggregateIndexes.count + j].encoded(kinds[j], of: elements[aggregateIndexes[j]], space: space)
    }
}
