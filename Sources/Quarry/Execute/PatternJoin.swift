/// Joins each input row with the datoms matching a pattern: an index
/// nested-loop join.
///
/// For every batch of input rows it builds one datom filter per row (the
/// pattern's constants plus the row's values of the pattern's bound
/// variables) and scans them all in one call to the source, the batched
/// interface a remote source serves in one round trip. A pattern that
/// shares no variable with its input (a Cartesian product the query asked
/// for) is scanned once and kept; on the one empty row a query starts
/// from, the scan streams a batch at a time instead.
final class PatternJoin: Operator {
    /// Rows ahead whose entity's datoms a lookup asks the memory for.
    static let prefetchDistance = 8
    /// Datoms of an attribute (32 bytes each) from which its column
    /// outgrows the caches and prefetching pays; below, it only costs.
    static let prefetchFromDatoms = 1 << 15
    /// What one position of the pattern (e, a, v, tx) does.
    enum Slot: Equatable {
        /// A constant, in the source's ids; nil when the source cannot hold it.
        case constant(EncodedValue?)
        /// The value of an input column.
        case input(Int)
        /// A new variable: output column.
        case output(Int)
        /// A variable already bound by an earlier position of this pattern.
        case same(Int)
        case blank
    }

    let pattern: Pattern
    let db: Database
    let context: ExecutionContext
    let slots: [Slot]
    private let inputArity: Int
    private let hasInputs: Bool
    /// For a pattern scanned by its constants whose value the query
    /// compares with constants: the stretches of the attribute's value
    /// order those comparisons allow (the scan reads them, not the whole
    /// attribute), and the comparisons as EXPLAIN names them.
    private let valueRange: ValueRangeScan?
    /// A scan on the one empty row a query starts from: streamed, since
    /// nothing scans it again (kept whole, the 240,000 orders of the query
    /// benchmark were 6 MB copied once more).
    private let streamsScan: Bool
    /// Whether the remote gate lets the streamed scan through this run.
    private var scanCovered = false
    /// Positions of the pattern that fill output columns (numbered from the
    /// first new column), and pairs of positions that must hold one value.
    private let outputs: [(position: Int, column: Int)]
    private let sames: [(Int, Int)]
    /// The pattern's constants as a filter (nil when one cannot occur in
    /// the source), and the positions input columns fix.
    private let constants: DatomFilter?
    private let inputSlots: [(position: Int, column: Int)]
    /// The most common join step, served without building a filter per
    /// row: the entity comes from an input column and the attribute is a
    /// constant, so the entity's datoms are sought in the attribute's
    /// column (its datoms in entity order).
    private let entityLookup: (column: Int, attribute: UInt32, value: Int?)?
    private let output: RowBuffer
    /// At most one new column, no repeated variable, the database's own
    /// ids: each row is written in place by the walk, without the emitter's
    /// call per datom (OHLC's outer query and shared scan faster in
    /// alternating runs). `single` is that column's position and place.
    private let writesInPlace: Bool
    private let single: (position: Int, column: Int)?
    private var cache: RowBuffer?
    private var filters: [DatomFilter] = []
    private var filterRows: [Int] = []
    /// The input batch being worked through, and where: the filter (or,
    /// without inputs, the input row) and the position in its range.
    private var pending: RowBuffer?
    private var cursor = (0, 0)
    /// In a remote query's round, the gate every key passes (nil for a
    /// local source), what this pattern asks of it, and the batch number
    /// that makes each input batch one scan.
    let gate: ScanGate?
    let gateShape: ScanGate.PatternShape
    private var gateBatch = 0

    init(input: Operator, pattern: Pattern, db: Database, slots: [Slot], columns: [String],
         context: ExecutionContext, estimatedRows: Double,
         valueRange: ValueRangeScan?, pushedFilter: ScanFilter = ScanFilter()) throws {
        self.pattern = pattern
        self.db = db
        self.context = context
        self.slots = slots
        self.inputArity = input.columns.count
        hasInputs = slots.contains { if case .input = $0 { true } else { false } }
        self.valueRange = hasInputs ? nil : valueRange
        streamsScan = !hasInputs && (input as? RelationScan)?.isUnit == true
        outputs = slots.enumerated().compactMap { p, slot in
            if case .output(let c) = slot { (p, c - input.columns.count) } else { nil }
        }
        sames = slots.enumerated().compactMap { p, slot in if case .same(let q) = slot { (q, p) } else { nil } }
        inputSlots = slots.enumerated().compactMap { p, slot in if case .input(let c) = slot { (p, c) } else { nil } }
        var f: DatomFilter? = DatomFilter()
        for (p, slot) in slots.enumerated() {
            guard case .constant(let c) = slot else { continue }
            if let c, f?.fix(p, to: c) == true { continue }
            f = nil
        }
        constants = f
        // The value may come from an input column too (then it is checked).
        let valueColumn: Int? = if case .input(let c) = slots[2] { c } else { nil }
        var parameters: PositionSet = []
        for (p, slot) in slots.enumerated() {
            switch slot {
            case .constant where p != 1, .input: parameters.insert(.position(p))
            default: break
            }
        }
        let readsTx = slots.count == 4 && { if case .output = slots[3] { true } else if case .same = slots[3] { true } else { false } }()
        gateShape = .init(attribute: { if case .constant = slots[1] { f?.a } else { nil } }(), parameters: parameters,
                          needsTx: readsTx, filter: pushedFilter)
        // An attribute the replica holds whole needs no check per key (and
        // may take the per-entity fast path below).
        gate = context.isPrimary(db) && !(context.gate?.replica.holdsWhole(gateShape) ?? true) ? context.gate : nil
        entityLookup = if gate == nil, case .input(let c) = slots[0], let a = f?.a,
                          context.isPrimary(db), slots.count == 4, sames.isEmpty, f?.v == nil, f?.tx == nil,
                          inputSlots.count == (valueColumn == nil ? 1 : 2) { (c, a, valueColumn) } else { nil }
        self.output = try RowBuffer(arity: columns.count, account: context.account)
        writesInPlace = context.isPrimary(db) && sames.isEmpty && outputs.count <= 1
        single = outputs.first.map { (position: $0.position, column: input.columns.count + $0.column) }
        super.init(columns: columns, inputs: [input], estimatedRows: estimatedRows)
        // Each input row's matches come out together, in input order.
        clusteredBy = input.clusteredBy
        if let inputKey = input.uniqueKey, gate == nil, context.isPrimary(db) {
            let functional = isFunctional(f?.a)
            if let key = datomKey(functional: functional) {
                var k = inputKey.union(key)
                // An entity holding at most one value of the attribute determines the value's column.
                if functional, let e = columnName(0), let v = columnName(2), e != v, k.contains(e) { k.remove(v) }
                uniqueKey = k
            }
        }
    }

    /// For a lookup that adds only the value of one attribute to each input
    /// row (`[?e :attr ?v]`, the entity from the input, in the database's
    /// own ids): the entity's input column and the attribute. A fused
    /// operator (``LookupAggregate``) may then do the lookup itself.
    var valueLookup: (entityColumn: Int, attribute: UInt32)? {
        // An entity lookup repeats no variable and reads the database's own ids already.
        guard let (column, attribute, valueColumn) = entityLookup, valueColumn == nil,
              outputs.count == 1, outputs[0].position == 2 else { return nil }
        return (column, attribute)
    }

    /// Whether the attribute holds at most one value per entity in this database.
    private func isFunctional(_ attribute: UInt32?) -> Bool {
        guard let attribute, let stats = db.attributeIndexes[attribute]?.stats else { return false }
        return stats.count == stats.distinctEntities
    }

    /// The column position `p` of the pattern reads or fills, if any.
    private func columnName(_ p: Int) -> String? {
        guard p < slots.count else { return nil }
        switch slots[p] {
        case .input(let c), .output(let c): return columns[c]
        case .same(let q): return columnName(q)
        default: return nil
        }
    }

    /// Columns that tell apart the datoms one input row matches (a local
    /// database holds each datom once): the new columns of entity,
    /// attribute and value, or just the entity's when the attribute holds
    /// at most one value per entity (`functional`); nil when a blank hides
    /// a position that could tell them apart.
    private func datomKey(functional: Bool) -> Set<String>? {
        // A pattern may leave out the value and tx: `[?e :attr]`.
        func name(_ p: Int) -> String? { if p < slots.count, case .output(let c) = slots[p] { columns[c] } else { nil } }
        if functional {
            switch slots[0] {
            case .output: return [name(0)!]
            case .constant, .input: return []
            default: break
            }
        }
        // A position left out is a blank.
        if slots.count < 3 || slots.prefix(3).contains(.blank) { return nil }
        return Set((0..<3).compactMap(name))
    }

    override var detail: String {
        let terms = pattern.terms.map(\.text)
        let source = pattern.source == "$" ? "" : pattern.source + " "
        let index = valueRange.map { "AVET range of \($0.comparisons)" } ?? db.index(for: sampleFilter).rawValue
        let filtered = gateShape.filter.isEmpty ? "" : ", the source filtering v \(gateShape.filter)"
        return "\(source)[\(terms.joined(separator: " "))] via \(index)" + (hasInputs ? "" : ", scanned once") + filtered
    }

    override var heldBytes: Int { output.byteCount + (cache?.byteCount ?? 0) }

    /// A filter with the bound positions marked, to name the index in EXPLAIN.
    private var sampleFilter: DatomFilter {
        var f = DatomFilter()
        for (p, slot) in slots.enumerated() {
            switch slot {
            case .constant, .input:
                _ = f.fix(p, to: EncodedValue(word: 0, tag: p == 1 ? .keyword : .int))
            default: break
            }
        }
        return f
    }

    override func rewind() {
        output.removeAll()
        pending = nil
    }

    /// Hands out at most about a batch of rows at a time: one input row can
    /// match many datoms (a scan of an attribute, a Cartesian product), and
    /// a streaming plan must not hold them all at once. The input batch
    /// stays valid while it is worked through, since the input is not
    /// pulled again until then.
    override func produce() throws -> RowBuffer? {
        if pending == nil {
            guard let batch = try inputs[0].next() else { return nil }
            try start(batch)
        }
        let batch = pending!
        output.removeAll()
        let out = output, limit = Operator.batchSize
        var (k, position) = cursor
        if streamsScan {
            let emitter = self.emitter
            while k < batch.count, out.count < limit {
                if position == 0 {
                    gateBatch += 1
                    scanCovered = try constants.map { try gate?.covers($0, gateShape, owner: self, batch: gateBatch) ?? true }
                        ?? false
                }
                guard scanCovered, let f = constants else {
                    (k, position) = (k + 1, 0)
                    continue
                }
                let resume = try scanConstants(f, from: position) { d in
                    try emitter.emit(d, inputRow: k, of: batch, into: out)
                    return out.count < limit
                }
                (k, position) = resume.map { (k, $0) } ?? (k + 1, 0)
            }
        } else if !hasInputs {
            let matches = try cachedMatches()
            let matchColumns = Array(0..<matches.arity)
            while k < batch.count, out.count < limit {
                let end = min(matches.count, position + limit - out.count)
                for m in position..<end {
                    try out.appendRow(extending: k, of: batch) { w in
                        w.copy(from: matches, row: m, columns: matchColumns, to: inputArity)
                    }
                }
                (k, position) = end == matches.count ? (k + 1, 0) : (k, end)
            }
        } else if let (column, attribute, valueColumn) = entityLookup {
            let emitter = self.emitter, context = self.context, db = self.db
            let writesInPlace = self.writesInPlace, single = self.single
            // The attribute's datoms in entity order: each row's entity is sought
            // from where the last one was found, so input in entity order
            // walks the column once (a merge join) and other input searches.
            if let run = db.attributeIndexes[attribute]?.byEntity {
                var seeker = DatomRun.EntitySeeker(run)
                // Entities in rising order are a walk the hardware sees; others are asked for ahead.
                let prefetching = run.count >= Self.prefetchFromDatoms && !Self.rises(batch, column: column, from: k)
                while k < batch.count, out.count < limit {
                    // Where the entity a few rows on lies, asked for while this one is worked on.
                    if prefetching && k + Self.prefetchDistance < batch.count {
                        seeker.prefetch(Int64(bitPattern: batch.word(k + Self.prefetchDistance, column)))
                    }
                    // The common step, without a filter or a walk: the entity's datoms all in the
                    // chunk the seeker finds them in, with room for them in the batch, each written
                    // in place (every datom of the run has the attribute; nothing else is fixed).
                    if writesInPlace, valueColumn == nil, position == 0 {
                        // Rows whose entities rise within the seeker's chunk, many at a time in one C loop.
                        if !prefetching {
                            let taken = try seeker.extend(batch, from: k, entityColumn: column, into: out,
                                                          room: limit - out.count, output: single)
                            if taken > 0 {
                                k += taken
                                continue
                            }
                        }
                        let tag = batch.tag(k, column)
                        guard tag == ValueTag.int.rawValue || tag == ValueTag.ref.rawValue else {
                            k += 1
                            continue
                        }
                        let (first, _, rest) = seeker.locate(Int64(bitPattern: batch.word(k, column)))
                        if rest.isEmpty, first.count <= limit - out.count {
                            let writer = InPlace(output: single)
                            for d in first { try writer.write(d, row: k, of: batch, into: out) }
                            k += 1
                            continue
                        }
                    }
                    let entity = batch.value(k, column)
                    var f = DatomFilter(a: attribute)
                    if let valueColumn {
                        f.v = context.toSource(batch.value(k, valueColumn), of: db, primary: true)
                    }
                    guard entity.tag == .int || entity.tag == .ref, valueColumn == nil || f.v != nil else {
                        (k, position) = (k + 1, 0)
                        continue
                    }
                    let range = seeker.range(of: Int64(bitPattern: entity.word))
                    let resume = if writesInPlace {
                        try Self.walk(run, range, from: position, chunk: seeker.chunk, f, writer: InPlace(output: single),
                                      row: k, of: batch, into: out, limit: limit)
                    } else {
                        try Self.walk(run, range, from: position, chunk: seeker.chunk, f, writer: emitter,
                                      row: k, of: batch, into: out, limit: limit)
                    }
                    (k, position) = resume.map { (k, $0) } ?? (k + 1, 0)
                }
            } else {
                k = batch.count
            }
        } else {
            // Locals, not properties, in the loops: no exclusivity check per row.
            let filters = self.filters, filterRows = self.filterRows, emitter = self.emitter, db = self.db
            let writesInPlace = self.writesInPlace, single = self.single
            // A constant attribute's index, found once for the batch.
            let index = constants?.a.flatMap { db.attributeIndexes[$0] }
            while k < filters.count, out.count < limit {
                let row = filterRows[k]
                let resume: Int?
                if let index {
                    let (run, range) = index.candidates(filters[k])
                    resume = if writesInPlace {
                        try Self.walk(run, range, from: position, chunk: nil, filters[k], writer: InPlace(output: single),
                                      row: row, of: batch, into: out, limit: limit)
                    } else {
                        try Self.walk(run, range, from: position, chunk: nil, filters[k], writer: emitter,
                                      row: row, of: batch, into: out, limit: limit)
                    }
                } else {
                    resume = try db.scan(filters[k], from: position) { d in
                        try emitter.emit(d, inputRow: row, of: batch, into: out)
                        return out.count < limit
                    }
                }
                (k, position) = resume.map { (k, $0) } ?? (k + 1, 0)
            }
        }
        cursor = (k, position)
        if k == (hasInputs && entityLookup == nil ? filters.count : batch.count) { pending = nil }
        return output
    }

    /// Writes the datoms of `range` of `run` that match `f`, from its
    /// `offset`-th on, as rows extending input row `row` (through `writer`),
    /// until `out` holds `limit` rows: the offset to resume at, or nil at
    /// the range's end. ``Database/walk(_:_:from:_:_:)`` without its
    /// closure, whose captures cost six retains and releases per input
    /// row, more than the row's one datom in a lookup.
    @inline(__always)
    private static func walk<W: DatomWriter>(_ run: DatomRun, _ range: Range<Int>, from offset: Int, chunk: Int?,
                                             _ f: DatomFilter, writer: W, row: Int, of batch: RowBuffer,
                                             into out: RowBuffer, limit: Int) throws -> Int? {
        var i = range.lowerBound + offset, chunk = chunk
        while i < range.upperBound {
            let piece = run.piece(from: i, upTo: range.upperBound, chunk: chunk)
            for d in piece.datoms {
                i += 1
                guard Database.matches(d, f) else { continue }
                try writer.write(d, row: row, of: batch, into: out)
                if out.count >= limit { return i < range.upperBound ? i - range.lowerBound : nil }
            }
            chunk = piece.chunk + 1
        }
        return nil
    }

    /// Whether the batch's words in `column` never fall from row `k` on.
    private static func rises(_ batch: RowBuffer, column: Int, from k: Int) -> Bool {
        var previous = Int64.min
        for r in k..<batch.count {
            let e = Int64(bitPattern: batch.word(r, column))
            if e < previous { return false }
            previous = e
        }
        return true
    }

    /// Takes a new input batch: its filters, and the cursor at its start.
    private func start(_ batch: RowBuffer) throws {
        pending = batch
        cursor = (0, 0)
        guard hasInputs, entityLookup == nil else { return }
        var filters = self.filters, filterRows = self.filterRows
        filters.removeAll(keepingCapacity: true)
        filterRows.removeAll(keepingCapacity: true)
        defer { (self.filters, self.filterRows) = (filters, filterRows) }
        // Everything the loop reads, hoisted: a property read per row
        // costs a retain and a release.
        guard let base = constants else { return }
        let inputSlots = self.inputSlots, context = self.context, db = self.db, primary = context.isPrimary(db)
        let gate = self.gate
        gateBatch += 1
        filters.reserveCapacity(batch.count)
        filterRows.reserveCapacity(batch.count)
        rows: for r in 0..<batch.count {
            var f = base
            for (p, column) in inputSlots {
                guard let v = context.toSource(batch.value(r, column), of: db, primary: primary) else {
                    if let gate { try demandUnencodable(row: r, of: batch, base: base, gate: gate) }
                    continue rows
                }
                guard f.fix(p, to: v) else { continue rows }
            }
            filters.append(f)
            filterRows.append(r)
        }
        if let gate { try gate.keepCovered(&filters, &filterRows, gateShape, owner: self, batch: gateBatch) }
    }

    /// A key with a value the replica has no id for yet (a string the query
    /// computed), recorded with the values as the query holds them.
    private func demandUnencodable(row r: Int, of batch: RowBuffer, base: DatomFilter, gate: ScanGate) throws {
        let values = gateShape.parameters.indexes.map { p -> Value? in
            if let column = inputSlots.first(where: { $0.position == p })?.column {
                return context.space.decode(batch.value(r, column))
            }
            return ScanGate.value(base, at: p).flatMap { gate.replica.decode($0) }
        }
        try gate.demand(gateShape, values, owner: self, batch: gateBatch)
    }

    /// The datoms matching the pattern's constants from the `start`-th
    /// candidate on, within ``valueRange`` when there is one (see
    /// ``Database/scan(_:from:_:)``).
    @inline(__always)
    private func scanConstants(_ f: DatomFilter, from start: Int, _ body: (Datom) throws -> Bool) rethrows -> Int? {
        if let stretches = valueRange?.stretches, let a = f.a {
            return try db.attributeIndexes[a]?.scan(f, within: stretches, from: start, body)
        }
        return try db.scan(f, from: start, body)
    }

    /// The datoms of the pattern alone, as rows of its new variables.
    private func cachedMatches() throws -> RowBuffer {
        if let cache { return cache }
        let rows = try RowBuffer(arity: columns.count - inputArity, account: context.account)
        gateBatch += 1
        if let f = constants, try gate?.covers(f, gateShape, owner: self, batch: gateBatch) ?? true {
            let emitter = self.emitter
            _ = try scanConstants(f, from: 0) { d in
                try emitter.emit(d, inputRow: nil, of: nil, into: rows)
                return true
            }
        }
        cache = rows
        return rows
    }

    /// What turns a matching datom into a row, copied out of the operator
    /// once per call: read per datom, properties would cost a retain and a
    /// release each.
    private var emitter: Emitter {
        Emitter(context: context, db: db, primary: context.isPrimary(db), sames: sames, outputs: outputs,
                inputArity: inputArity)
    }

    /// How a walk turns one matching datom into a row of `out`.
    private protocol DatomWriter {
        func write(_ d: Datom, row: Int, of batch: RowBuffer, into out: RowBuffer) throws
    }

    /// The row of a pattern that adds at most one column, repeats no
    /// variable and reads the database's own ids (``writesInPlace``),
    /// written in place: `output` is the datom's position and the column
    /// it goes to (nil: none).
    private struct InPlace: DatomWriter {
        let output: (position: Int, column: Int)?

        @inline(__always)
        func write(_ d: Datom, row: Int, of batch: RowBuffer, into out: RowBuffer) throws {
            try out.appendRow(extending: row, of: batch) { w in
                guard let output else { return }
                switch output.position {
                case 0: w.set(output.column, word: UInt64(bitPattern: d.e), tag: ValueTag.int.rawValue)
                case 1: w.set(output.column, word: UInt64(d.a), tag: ValueTag.keyword.rawValue)
                case 2: w.set(output.column, word: d.v, tag: d.vTag)
                default: w.set(output.column, word: UInt64(bitPattern: d.tx), tag: ValueTag.int.rawValue)
                }
            }
        }
    }

    private struct Emitter: DatomWriter {
        let context: ExecutionContext
        let db: Database
        let primary: Bool
        let sames: [(Int, Int)]
        let outputs: [(position: Int, column: Int)]
        let inputArity: Int

        /// Appends the row for one matching datom, if the pattern's repeated
        /// variables agree: the input row's columns (when there is one),
        /// then the new ones.
        @inline(__always)
        func emit(_ d: Datom, inputRow: Int?, of batch: RowBuffer?, into out: RowBuffer) throws {
            // Words and tag bytes as the rows store them: no tag enum per datom.
            var words = (UInt64(bitPattern: d.e), UInt64(d.a), d.v, UInt64(bitPattern: d.tx))
            var tags = (ValueTag.int.rawValue, ValueTag.keyword.rawValue, d.vTag, ValueTag.int.rawValue)
            if !primary {
                let a = try context.fromSource(EncodedValue(word: words.1, tag: .keyword), of: db)
                let v = try context.fromSource(d.value, of: db)
                (words.1, tags.1, words.2, tags.2) = (a.word, a.tag.rawValue, v.word, v.tag.rawValue)
            }
            @inline(__always) func at(_ p: Int) -> (UInt64, UInt8) {
                switch p {
                case 0: (words.0, tags.0)
                case 1: (words.1, tags.1)
                case 2: (words.2, tags.2)
                default: (words.3, tags.3)
                }
            }
            for (p, q) in sames where at(p) != at(q) { return }
            let first = inputRow == nil ? 0 : inputArity
            try out.appendRow(extending: inputRow, of: batch) { w in
                for (p, c) in outputs {
                    let (word, tag) = at(p)
                    w.set(first + c, word: word, tag: tag)
                }
            }
        }

        @inline(__always)
        func write(_ d: Datom, row: Int, of batch: RowBuffer, into out: RowBuffer) throws {
            try emit(d, inputRow: row, of: batch, into: out)
        }
    }
}
