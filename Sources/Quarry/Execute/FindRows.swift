/// The rows of `:find`: the distinct find (and `:with`) tuples projected to
/// the find elements, or, with aggregates, one row per group of the
/// non-aggregate elements (grouped through ``RowGroups``).
///
/// `keys` are variables put first and grouped by as well: a decorrelated
/// subquery groups its aggregates by the outer bindings this way.
final class FindRows: Operator {
    let elements: [FindElement]
    private let keyColumns: [Int]
    private let elementColumns: [Int]
    private let space: ValueSpace
    private let account: MemoryAccount?
    private let random: QueryRandom
    private let functions: QueryFunctions
    private let output: RowBuffer
    private var done = false

    init(input: Operator, keys: [String], elements: [FindElement], space: ValueSpace, account: MemoryAccount?,
         random: QueryRandom, functions: QueryFunctions) throws {
        self.elements = elements
        keyColumns = keys.map { input.columns.firstIndex(of: $0)! }
        elementColumns = elements.map { input.columns.firstIndex(of: $0.variable)! }
        self.space = space
        self.account = account
        self.random = random
        self.functions = functions
        let columns = Self.columns(keys: keys, elements: elements)
        output = try RowBuffer(arity: columns.count, account: account)
        super.init(columns: columns, inputs: [input], estimatedRows: input.estimatedRows)
        // Only aggregates: one row per distinct key (a decorrelated subquery's result per outer binding).
        if !elements.isEmpty, elements.allSatisfy(\.isAggregate) { uniqueKey = Set(keys) }
    }

    /// The columns of a query's find rows: the keys, then each element.
    /// ``LookupAggregate`` makes the same rows.
    static func columns(keys: [String], elements: [FindElement]) -> [String] {
        keys + elements.map(\.text)
    }

    private var aggregates: Bool { elements.contains(where: \.isAggregate) }

    override var detail: String {
        guard aggregates else { return "[" + columns.joined(separator: " ") + "]" }
        let groups = keyColumns.map { inputs[0].columns[$0] } + elements.filter { !$0.isAggregate }.map(\.variable)
        return "group by [" + groups.joined(separator: " ") + "]"
    }

    override var heldBytes: Int { output.byteCount }

    override func rewind() { done = false }

    override func produce() throws -> RowBuffer? {
        guard aggregates else {
            guard let batch = try inputs[0].next() else { return nil }
            output.removeAll()
            try output.append(columns: keyColumns + elementColumns, of: batch)
            return output
        }
        guard !done else { return nil }
        done = true
        let plain = elements.indices.filter { !elements[$0].isAggregate }
        if GroupAccumulators.supports(elements) {
            // Folded batch by batch: the rows are never all held.
            let groups = try GroupAccumulators(groupColumns: keyColumns + plain.map { elementColumns[$0] },
                                               elements: elements, elementColumns: elementColumns, space: space,
                                               account: account)
            while let batch = try inputs[0].next() { try groups.add(batch) }
            output.removeAll()
            try output.reserve(groups.groupCount)
            var values: [EncodedValue] = []
            for g in 0..<groups.groupCount {
                values.removeAll(keepingCapacity: true)
                for c in 0..<keyColumns.count { values.append(groups.groupKeys.value(g, c)) }
                var plainIndex = keyColumns.count, aggregate = 0
                for e in elements {
                    if e.isAggregate {
                        values.append(try groups.encodedValue(group: g, aggregate: aggregate))
                        aggregate += 1
                    } else {
                        values.append(groups.groupKeys.value(g, plainIndex))
                        plainIndex += 1
                    }
                }
                try output.appendRow { w in for (j, v) in values.enumerated() { w.set(j, v) } }
            }
            return output
        }
        let rows = try inputs[0].drain(account: account)
        let groups = try RowGroups(keyColumns: keyColumns + plain.map { elementColumns[$0] }, account: account)
        try groups.add(all: rows)
        output.removeAll()
        try output.reserve(groups.groupCount)
        // Buffers reused across groups: no allocation per group.
        var members: [Int] = [], column: [EncodedValue] = [], values: [EncodedValue] = []
        for g in 0..<groups.groupCount {
            groups.rows(ofGroup: g, into: &members)
            values.removeAll(keepingCapacity: true)
            for c in keyColumns { values.append(rows.value(members[0], c)) }
            for (i, e) in elements.enumerated() {
                let c = elementColumns[i]
                guard e.isAggregate else {
                    values.append(rows.value(members[0], c))
                    continue
                }
                column.removeAll(keepingCapacity: true)
                for m in members { column.append(rows.value(m, c)) }
                values.append(try space.encode(try Aggregates.compute(e, column, space: space, random: random, functions: functions)))
            }
            try output.appendRow { w in for (j, v) in values.enumerated() { w.set(j, v) } }
        }
        return output
    }
}
