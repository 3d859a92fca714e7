/// A call of a transitive-closure rule joined to its input: for each input
/// row, the nodes reachable in one or more steps along one attribute, by
/// breadth-first search over the indexes, instead of a fixpoint's rounds.
///
/// Which way the search runs follows what the row binds: forward from a
/// bound first argument, backward from a bound second one, and from every
/// node with an edge when neither is. The reached nodes are kept in the
/// order found (the search's queue, and its answers) and marked (a stamp
/// per dense entity id, the core's dedup table for other values), so a
/// cycle ends the search and the answers are distinct.
final class ClosureJoin: Operator {
    /// One argument of the call.
    enum Arg: Equatable {
        /// A column of the input row.
        case input(Int)
        case constant(EncodedValue)
        /// A new column of the output, at this index past the input's.
        case output(Int)
        /// The second argument is the same new variable as the first.
        case sameAsFirst
        /// `_`.
        case ignore

        /// Whether the argument has a value before the search: an input column or a constant.
        var isBound: Bool {
            switch self {
            case .input, .constant: true
            case .output, .sameAsFirst, .ignore: false
            }
        }
    }

    private let db: Database
    private let attribute: UInt32?
    /// Whether an edge runs from an entity to its value (`[?x :a ?y]`), or back.
    private let forward: Bool
    private let args: (Arg, Arg)
    private let context: ExecutionContext
    private let label: String
    /// The nodes the current search reached, in the order found: its queue and its answers.
    private let reached: RowBuffer
    /// Which nodes the current search reached: a stamp per entity id the
    /// database's offsets cover, and a dedup table for any other value.
    private let stamps: CoreVector<UInt32>
    private var stamp: UInt32 = 0
    private let others: DedupSet
    private let probe: RowBuffer
    private var output: RowBuffer
    private let inputArity: Int
    private var batch: RowBuffer?
    private var row = 0
    /// With neither argument bound: the start nodes still to search from, for the current row.
    private var starts: [EncodedValue] = []
    private var startIndex = 0
    /// The current search's answers not yet handed out.
    private var pending: (start: EncodedValue?, next: Int)?
    private var steps = 0
    private var inputDone = false

    init(input: Operator, db: Database, attribute: UInt32?, forward: Bool, args: (Arg, Arg), columns: [String],
         context: ExecutionContext, label: String, estimatedRows: Double) throws {
        self.db = db
        self.attribute = attribute
        self.forward = forward
        self.args = args
        self.context = context
        self.label = label
        inputArity = input.columns.count
        reached = try RowBuffer(arity: 1, account: context.account)
        stamps = try CoreVector(repeating: 0, count: db.denseEntities, account: context.account)
        others = try DedupSet(arity: 1, account: context.account)
        probe = try RowBuffer(arity: 1, account: context.account)
        output = try RowBuffer(arity: columns.count, account: context.account)
        super.init(columns: columns, inputs: [input], estimatedRows: estimatedRows)
        // Each search's answers are distinct, so distinct input rows give
        // distinct output rows: then every row is a run of its own, and a
        // Distinct above remembers one row, not millions. Not so when the
        // first argument is `_` and starts are searched from every node.
        let startsEverywhere = !args.0.isBound && !args.1.isBound
        let inputDistinct = Set(input.clusteredBy) == Set(input.columns)
        clusteredBy = inputDistinct && !(startsEverywhere && args.0 == .ignore) ? columns : input.clusteredBy
    }

    override var detail: String { label }
    override var heldBytes: Int {
        output.byteCount + reached.byteCount + stamps.byteCount + others.byteCount + probe.byteCount
    }

    override func rewind() {
        batch = nil
        row = 0
        pending = nil
        starts = []
        startIndex = 0
        inputDone = false
    }

    override func produce() throws -> RowBuffer? {
        output.removeAll()
        while output.count < Operator.batchSize {
            if pending != nil {
                try emitPending()
                continue
            }
            if batch == nil || row >= batch!.count {
                guard !inputDone, let next = try inputs[0].next() else {
                    (batch, inputDone) = (nil, true)
                    return output.count > 0 ? output : nil
                }
                batch = next
                row = 0
                starts = []
                startIndex = 0
            }
            try startRow()
        }
        return output
    }

    /// A value of the input row or a constant, in the source's ids; nil
    /// for a new variable; `.none` inside when the source cannot hold it.
    private func known(_ arg: Arg) -> EncodedValue?? {
        switch arg {
        case .input(let c): .some(context.toSource(batch!.value(row, c), of: db))
        case .constant(let v): .some(context.toSource(v, of: db))
        default: nil
        }
    }

    /// Starts the search of the current row, or moves past it.
    private func startRow() throws {
        switch (known(args.0), known(args.1)) {
        case (let from??, _):
            try search(from: from, forward: forward)
            pending = (from, 0)
        case (.some(nil), _), (_, .some(nil)):
            row += 1   // a value the source does not hold reaches nothing
        case (nil, let to??):
            try search(from: to, forward: !forward)
            pending = (nil, 0)
        case (nil, nil):
            if starts.isEmpty && startIndex == 0 { starts = sources() }
            guard startIndex < starts.count else {
                starts = []
                startIndex = 0
                row += 1
                return
            }
            let from = starts[startIndex]
            startIndex += 1
            try search(from: from, forward: forward)
            pending = (from, 0)
            return
        }
    }

    /// Hands out the answers of the current search for the current row.
    private func emitPending() throws {
        guard let (start, next) = pending else { return }
        let known0 = known(args.0), known1 = known(args.1)
        var i = next
        func finish() {
            pending = nil
            // A search from every start moves to the next start, not the next row.
            if !(known0 == nil && known1 == nil) { row += 1 }
        }
        switch (known0, known1) {
        case (.some, .some(let target)):
            // Both bound: one row when the target is reached.
            if let target, wasReached(target) { try emit(nil, nil) }
            finish()
            return
        case (.some, nil):
            if args.1 == .ignore {
                if reached.count > 0 { try emit(nil, nil) }
                finish()
                return
            }
        case (nil, .some):
            if args.0 == .ignore {
                if reached.count > 0 { try emit(nil, nil) }
                finish()
                return
            }
        case (nil, nil):
            if args.1 == .sameAsFirst {
                if let start, wasReached(start) { try emit(start, nil) }
                finish()
                return
            }
            if args.1 == .ignore {
                if reached.count > 0 { try emit(start, nil) }
                finish()
                return
            }
        }
        while i < reached.count, output.count < Operator.batchSize {
            let node = reached.value(i, 0)
            switch (known0, known1) {
            case (.some, nil): try emit(nil, node)
            case (nil, .some): try emit(node, nil)
            default: try emit(start, node)
            }
            i += 1
        }
        if i < reached.count { pending = (start, i) } else { finish() }
    }

    /// Appends the input row extended by the new columns: the first
    /// argument's value (when it is a new variable) and the second's.
    private func emit(_ first: EncodedValue?, _ second: EncodedValue?) throws {
        let first = try first.map { try context.fromSource($0, of: db) }
        let second = try second.map { try context.fromSource($0, of: db) }
        let inputArity = self.inputArity, args = self.args
        try output.appendRow(extending: row, of: batch) { w in
            if case .output(let c) = args.0, let first { w.set(inputArity + c, first) }
            if case .output(let c) = args.1, let second { w.set(inputArity + c, second) }
        }
    }

    /// Fills `reached` with the nodes one or more steps from `start`.
    private func search(from start: EncodedValue, forward: Bool) throws {
        reached.removeAll()
        others.removeAll()
        stamp &+= 1
        if stamp == 0 {
            // The stamps wrapped: clear them once every 2^32 searches.
            stamps.withMutableElements { $0.update(repeating: 0) }
            stamp = 1
        }
        guard let attribute, let index = db.attributeIndexes[attribute] else { return }
        try expand(start, forward: forward, index)
        var i = 0
        while i < reached.count {
            try expand(reached.value(i, 0), forward: forward, index)
            i += 1
        }
    }

    /// Whether the current search reached `node`.
    private func wasReached(_ node: EncodedValue) -> Bool {
        if let slot = denseSlot(node) { return stamps.withElements { $0[slot] } == stamp }
        return others.contains(words: [node.word], tags: [node.tag])
    }

    /// The stamp slot of an entity id the offsets cover.
    @inline(__always)
    private func denseSlot(_ node: EncodedValue) -> Int? {
        guard node.tag == .int || node.tag == .ref, node.word < UInt64(stamps.count) else { return nil }
        return Int(node.word)
    }

    /// Adds `node` to `reached` unless the search has it already.
    @inline(__always)
    private func add(_ node: EncodedValue) throws {
        if let slot = denseSlot(node) {
            let fresh = stamps.withMutableElements { p in
                if p[slot] == stamp { return false }
                p[slot] = stamp
                return true
            }
            guard fresh else { return }
        } else {
            probe.removeAll()
            try probe.appendRow { $0.set(0, node) }
            guard try others.insert(probe, row: 0).inserted else { return }
        }
        try reached.appendRow { $0.set(0, node) }
    }

    /// Adds the neighbours of `node` to `reached`.
    private func expand(_ node: EncodedValue, forward: Bool, _ index: AttributeIndex) throws {
        steps += 1
        if steps & 1023 == 0 { try QueryInterrupt.check() }
        if forward {
            // Successors: the values of the node's attribute (the node is an entity).
            guard node.tag == .int || node.tag == .ref else { return }
            let run = index.byEntity
            try run.forEach(run.range(DatomRun.Key(e: Int64(bitPattern: node.word)))) { d in try add(d.value) }
        } else {
            // Predecessors: the entities holding the node as the attribute's value.
            let v = node.tag == .ref ? EncodedValue(word: node.word, tag: .int) : node
            let run = index.byValue
            try run.forEach(run.range(DatomRun.Key(v: v))) { d in
                try add(EncodedValue(word: UInt64(bitPattern: d.e), tag: .int))
            }
        }
    }

    /// Every node an edge leaves from, in index order.
    private func sources() -> [EncodedValue] {
        guard let attribute else { return [] }
        var out: [EncodedValue] = []
        if forward {
            db.scan(DatomFilter(a: attribute)) { d in
                let e = EncodedValue(word: UInt64(bitPattern: d.e), tag: .int)
                if out.last != e { out.append(e) }
            }
        } else {
            var seen: Set<EncodedValue> = []
            db.scan(DatomFilter(a: attribute)) { d in if seen.insert(d.value).inserted { out.append(d.value) } }
        }
        return out
    }
}
