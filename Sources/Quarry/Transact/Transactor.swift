/// Applies one transaction to a database and builds the next one.
///
/// Tempids are resolved first (an upsert through a `:db.unique/identity`
/// attribute, else a fresh id above every id in use, in order of first
/// appearance), then lookup refs and idents against the database before
/// the transaction. The ops are then merged with the current datoms one
/// (entity, attribute) group at a time: a cardinality-one assertion
/// replaces the value, a cardinality-many one adds to the set, a retraction
/// removes. Unique constraints are checked on the result.
struct Transactor {
    let before: Database
    let interner: WriteInterner
    var schema: Schema
    let tx: Int64

    /// When the transaction happened, its `:db/txInstant` unless the data asserts one.
    let instant: Instant
    private(set) var tempids: [String: Int64] = [:]
    private var idents: [Keyword: Int64] = [:]
    /// The largest entity id the transaction names explicitly.
    private var largestExplicit: Int64 = 0
    /// The entities of attributes declared by schema maps, new ones included.
    private var attributeEntities: [Keyword: Int64] = [:]
    /// The datoms the transaction added and removed, as ``merge`` finds them.
    private(set) var added: [Datom] = []
    private(set) var removed: [Datom] = []
    /// Unique attribute values this transaction asserts, and their entities.
    private var txUnique: [UInt32: [EncodedValue: Int64]] = [:]

    init(before: Database, instant: Instant) {
        self.before = before
        self.instant = instant
        self.interner = WriteInterner(before.interner)
        self.schema = before.schema
        self.tx = before.nextTx
    }

    /// A resolved op: entity, attribute id, value.
    private struct Resolved {
        var kind: TxOp.Kind
        var e: Int64
        var a: UInt32
        var v: EncodedValue
        var seq: Int
    }

    mutating func run(_ data: EDN) throws -> Database {
        let interner = self.interner
        var parser = TxParser(schema: schema) { (k: Keyword) throws(CoreError) -> UInt32 in
            UInt32(truncatingIfNeeded: try interner.intern(k.text))
        }
        var ops = try parser.parse(data)
        schema = parser.schema
        try resolveTempids(ops)
        try collectIdents(ops)
        // Every transaction is an entity, its id the tx, with the time it happened.
        if !ops.contains(where: { $0.kind == .add && $0.attribute.text == "db/txInstant" && $0.entity.isCurrentTransaction }) {
            ops.append(TxOp(kind: .add, entity: .id(tx), attribute: Keyword("db/txInstant"), value: .value(.instant(instant)),
                            position: .unknown))
        }
        try collectUniqueValues(ops)
        var resolved: [Resolved] = []
        resolved.reserveCapacity(ops.count)
        var retractedEntities: Set<Int64> = []
        for (seq, op) in ops.enumerated() {
            let e = try entity(op.entity, at: op.position)
            if op.kind == .retractEntity {
                retractedEntities.insert(e)
                continue
            }
            let a = try attributeID(op.attribute)
            // A retraction of every value has no value: any word stands in.
            let v = try value(of: op.value, op) ?? EncodedValue(word: 0, tag: .int)
            if let expected = op.expected { try checkCAS(op, e: e, a: a, expected: expected) }
            resolved.append(Resolved(kind: op.kind, e: e, a: a, v: v, seq: seq))
        }
        try merge(resolved, retractedEntities: retractedEntities)
        // Entities the transaction named or made; not the transaction's
        // own entity nor attribute entities, which lie above user ids.
        var maxEntity = max(before.maxEntity, largestExplicit)
        for (t, id) in tempids where id > maxEntity && t != EntityRef.transactionTempid { maxEntity = id }
        let (nextTx, exhausted) = tx.addingReportingOverflow(1)
        if exhausted || nextTx >= Database.systemEntities.upperBound {
            throw TransactionError("transaction ids are exhausted (the last was \(tx))", at: data.position)
        }
        let after = try before.applying(adds: added, removes: removed, interner: interner.current, schema: schema,
                                        maxEntity: maxEntity, nextTx: nextTx)
        try checkUnique(after)
        return after
    }

    // MARK: Resolution

    /// An operand of `op` as stored: an entity as its id, a value encoded
    /// for `op`'s attribute; nil for none.
    private func value(of operand: TxOp.Operand, _ op: TxOp) throws -> EncodedValue? {
        switch operand {
        case .none: nil
        case .entity(let ref): EncodedValue(word: UInt64(bitPattern: try entity(ref, at: op.position)), tag: .int)
        case .value(let value): try encode(value, attribute: op.attribute, at: op.position)
        }
    }

    /// `[:db/cas e a old new]`: throws unless the database before the
    /// transaction holds `old` for `e`'s `a` (or nothing, for nil).
    private func checkCAS(_ op: TxOp, e: Int64, a: UInt32, expected: TxOp.Operand) throws {
        var current: EncodedValue?
        before.scan(DatomFilter(e: e, a: a)) { d in if current == nil { current = d.value } }
        let wanted = try value(of: expected, op)
        guard current != wanted else { return }
        func text(_ v: EncodedValue?) -> String {
            guard let v else { return "nothing" }
            return Value(v, interner: before.interner).map { EDNWriter.write($0) } ?? "a value"
        }
        throw TransactionError(":db/cas failed: \(op.attribute) of \(e) is \(text(current)), not \(text(wanted))",
                               at: op.position)
    }

    private mutating func resolveTempids(_ ops: [TxOp]) throws {
        var order: [String] = []
        var seen: Set<String> = [EntityRef.transactionTempid]
        tempids[EntityRef.transactionTempid] = tx
        var maxExplicit: Int64 = 0
        func note(_ ref: EntityRef) {
            switch ref {
            case .tempid(let t): if seen.insert(t).inserted { order.append(t) }
            case .id(let i) where !Database.systemEntities.contains(i): maxExplicit = max(maxExplicit, i)
            default: break
            }
        }
        for op in ops {
            note(op.entity)
            if case .entity(let ref) = op.value { note(ref) }
        }
        // Upserts: a tempid asserting a unique identity value that exists
        // becomes that entity; tempids asserting the same new value become
        // one entity.
        var alias: [String: String] = [:]
        var firstWithValue: [EncodedValue: [UInt32: String]] = [:]
        var explicitOwner: [UInt32: [EncodedValue: Int64]] = [:]
        for op in ops {
            guard op.kind == .add, case .id(let e) = op.entity, case .value(let value) = op.value,
                  let attrID = idOrNil(op.attribute), schema.attribute(attrID)?.unique == .identity
            else { continue }
            explicitOwner[attrID, default: [:]][try encode(value, attribute: op.attribute, at: op.position)] = e
        }
        for op in ops {
            guard op.kind == .add, case .tempid(let t) = op.entity, tempids[t] == nil, alias[t] == nil,
                  case .value(let value) = op.value, let attrID = idOrNil(op.attribute),
                  schema.attribute(attrID)?.unique == .identity
            else { continue }
            let v = try encode(value, attribute: op.attribute, at: op.position)
            if let existing = before.entity(withValue: v, of: attrID) {
                tempids[t] = existing
            } else if let owner = explicitOwner[attrID]?[v] {
                tempids[t] = owner
            } else if let first = firstWithValue[v]?[attrID] {
                alias[t] = first
            } else {
                firstWithValue[v, default: [:]][attrID] = t
            }
        }
        // Fresh ids count up from the largest in use; past Int64.max there are none.
        largestExplicit = maxExplicit
        let largest = max(before.maxEntity, maxExplicit)
        var next: Int64? = largest == .max ? nil : largest + 1
        for t in order where tempids[t] == nil && alias[t] == nil {
            // Tempids pass over the ids reserved for the system.
            if let n = next, Database.systemEntities.contains(n) { next = Database.systemEntities.upperBound }
            guard let id = next else {
                throw TransactionError("no entity id is left for tempid \(t): ids up to \(Int64.max) are taken",
                                       at: .unknown)
            }
            tempids[t] = id
            next = id == .max ? nil : id + 1
        }
        for (t, target) in alias { tempids[t] = tempids[target] }
    }

    /// Gives each attribute a schema map declares its entity: the one
    /// holding its ident already (`idents` holds the database's), else a
    /// new one. Attribute entities count down from just below the first
    /// transaction id, apart from the ids tempids take (which count up from 1).
    private mutating func resolveAttributeEntities(_ ops: [TxOp]) throws {
        var declared: [Keyword] = [], seen: Set<Keyword> = []
        for op in ops {
            if case .attribute(let k) = op.entity, seen.insert(k).inserted { declared.append(k) }
        }
        guard !declared.isEmpty else { return }
        var lowest = idents.values.filter(Database.systemEntities.contains).min() ?? Database.firstTx
        for k in declared {
            if let e = idents[k] {
                attributeEntities[k] = e
                continue
            }
            lowest -= 1
            guard lowest >= Database.systemEntities.lowerBound else {
                throw TransactionError("no entity id is left for attribute \(k): a database holds at most "
                                       + "\(Database.firstTx - Database.systemEntities.lowerBound - 1) attributes", at: .unknown)
            }
            attributeEntities[k] = lowest
            idents[k] = lowest
        }
    }

    private mutating func collectUniqueValues(_ ops: [TxOp]) throws {
        for op in ops where op.kind == .add {
            guard case .value(let value) = op.value, let attrID = idOrNil(op.attribute),
                  schema.attribute(attrID)?.unique != nil
            else { continue }
            switch op.entity {
            case .id, .tempid:
                txUnique[attrID, default: [:]][try encode(value, attribute: op.attribute, at: op.position)] =
                    try entity(op.entity, at: op.position)
            default: break
            }
        }
    }

    private func idOrNil(_ k: Keyword) -> UInt32? {
        interner.id(of: k.text).map { UInt32(truncatingIfNeeded: $0) }
    }

    /// Idents of the database, of the attributes schema maps declare, and
    /// those this transaction asserts.
    private mutating func collectIdents(_ ops: [TxOp]) throws {
        if let identAttr = before.attributeID(Keyword("db/ident")) {
            before.scan(DatomFilter(a: identAttr)) { d in
                if d.vTag == ValueTag.keyword.rawValue, let text = before.interner.string(for: d.v) {
                    idents[Keyword(text)] = d.e
                }
            }
        }
        try resolveAttributeEntities(ops)
        for op in ops where op.kind == .add && op.attribute.text == "db/ident" {
            if case .value(.keyword(let k)) = op.value, case .id = op.entity {
                idents[k] = try entity(op.entity, at: op.position)
            } else if case .value(.keyword(let k)) = op.value, case .tempid(let t) = op.entity {
                idents[k] = tempids[t]
            }
        }
    }

    private func entity(_ ref: EntityRef, at position: SourcePosition) throws -> Int64 {
        switch ref {
        case .id(let i): return i
        case .attribute(let k):
            guard let id = attributeEntities[k] else { throw TransactionError("unresolved attribute \(k)", at: position) }
            return id
        case .ident(let k) where k.text == "db/current-tx":
            return tx
        case .tempid(let t):
            guard let id = tempids[t] else { throw TransactionError("unresolved tempid \(t)", at: position) }
            return id
        case .ident(let k):
            guard let id = idents[k] else { throw TransactionError("no entity has :db/ident \(k)", at: position) }
            return id
        case .lookup(let attr, let valueForm):
            guard let attrID = idOrNil(attr), let a = schema.attribute(attrID), a.unique != nil else {
                throw TransactionError("lookup ref attribute \(attr) is not :db/unique", at: position)
            }
            guard let value = Value(edn: valueForm) else {
                throw TransactionError("unsupported lookup ref value \(EDNWriter.write(valueForm))", at: position)
            }
            let v = try encode(value, attribute: attr, at: position)
            guard let found = txUnique[attrID]?[v] ?? before.entity(withValue: v, of: attrID) else {
                throw TransactionError("lookup ref [\(attr) \(EDNWriter.write(valueForm))] names no entity", at: position)
            }
            return found
        }
    }

    private func attributeID(_ k: Keyword) throws -> UInt32 {
        UInt32(truncatingIfNeeded: try interner.intern(k.text))
    }

    /// Encodes a value for an attribute, checking and coercing its declared type.
    private func encode(_ value: Value, attribute: Keyword, at position: SourcePosition) throws -> EncodedValue {
        var value = value
        if let id = idOrNil(attribute), let t = schema.attribute(id)?.valueType {
            value = t.coerce(value)
            if t == .ref, case .keyword(let k) = value {
                guard let e = idents[k] else { throw TransactionError("no entity has :db/ident \(k)", at: position) }
                value = .int(e)
            }
            guard t.accepts(value.tag) else {
                throw TransactionError("value \(EDNWriter.write(value)) of \(attribute) is not of type :db.type/\(t.rawValue)",
                                       at: position)
            }
        }
        if case .ref(let e) = value { value = .int(e) }
        return try interner.encode(value)
    }

    // MARK: Applying

    /// Works out what the ops change, one (entity, attribute) group at a
    /// time from the group's current values, into ``added`` and
    /// ``removed``: the transaction reads only the groups it names (and,
    /// for retracted entities, their datoms and the references to them).
    private mutating func merge(_ ops: [Resolved], retractedEntities: Set<Int64>) throws {
        let sorted = ops.sorted { x, y in
            if x.e != y.e { return x.e < y.e }
            if x.a != y.a { return x.a < y.a }
            return x.seq < y.seq
        }
        let refAttrs = schema.byID.filter { $0.value.isRef }.map(\.key).sorted()
        let refAttrSet = Set(refAttrs)
        func keep(_ d: Datom) -> Bool {
            if retractedEntities.isEmpty { return true }
            if retractedEntities.contains(d.e) { return false }
            return !(refAttrSet.contains(d.a) && d.vTag == ValueTag.int.rawValue
                && retractedEntities.contains(Int64(bitPattern: d.v)))
        }
        var groups = Set<GroupKey>()
        // Each op adds at most one datom: one allocation, not a million-datom array grown by doubling.
        added.reserveCapacity(added.count + sorted.count)
        // The group's values before and after, in buffers kept from group to
        // group (a copy of one into the other would allocate per group).
        var old: [Datom] = [], current: [Datom] = []
        var j = 0
        while j < sorted.count {
            // One (e, a) group with ops: start from its current values.
            let e = sorted[j].e, a = sorted[j].a
            if !retractedEntities.isEmpty { groups.insert(GroupKey(e: e, a: a)) }
            old.removeAll(keepingCapacity: true)
            before.scan(DatomFilter(e: e, a: a)) { old.append($0) }
            current.removeAll(keepingCapacity: true)
            current.append(contentsOf: old)
            let many = schema.attribute(a)?.cardinalityMany ?? false
            // Small groups scan their few values; a large one (a transaction may add thousands
            // of values to one entity) is kept as a set, each op in constant time.
            var group = many && isLarge(group: e, a, from: j, of: sorted, holding: current.count)
                ? ValueSet(current) : nil
            while j < sorted.count, sorted[j].e == e, sorted[j].a == a {
                let op = sorted[j]
                j += 1
                if group != nil {
                    switch op.kind {
                    case .add: group!.add(Datom(e: e, v: op.v.word, tx: tx, a: a, vTag: op.v.tag.rawValue))
                    case .retract: group!.remove(op.v)
                    case .retractAttribute: group!.removeAll()
                    case .retractEntity: break
                    }
                    continue
                }
                let sameValue = { (d: Datom) in d.v == op.v.word && d.vTag == op.v.tag.rawValue }
                switch op.kind {
                case .add:
                    if current.contains(where: sameValue) {
                        if !many { current.removeAll { !sameValue($0) } }
                    } else {
                        if !many { current.removeAll() }
                        current.append(Datom(e: e, v: op.v.word, tx: tx, a: a, vTag: op.v.tag.rawValue))
                    }
                case .retract: current.removeAll(where: sameValue)
                case .retractAttribute: current.removeAll()
                case .retractEntity: break
                }
            }
            let now = group?.datoms ?? current
            noteChanges(from: old, to: retractedEntities.isEmpty ? now : now.filter(keep))
        }
        guard !retractedEntities.isEmpty else { return }
        // Retracted entities lose every datom, and references to them go, outside the groups above.
        for e in retractedEntities.sorted() {
            before.scan(DatomFilter(e: e)) { d in
                if !groups.contains(GroupKey(e: d.e, a: d.a)) { removed.append(d) }
            }
            for a in refAttrs {
                before.scan(DatomFilter(a: a, v: EncodedValue(word: UInt64(bitPattern: e), tag: .int))) { d in
                    if !retractedEntities.contains(d.e), !groups.contains(GroupKey(e: d.e, a: d.a)) { removed.append(d) }
                }
            }
        }
    }

    private struct GroupKey: Hashable {
        var e: Int64
        var a: UInt32
    }

    /// Records what one (entity, attribute) group lost and gained.
    private mutating func noteChanges(from old: [Datom], to new: [Datom]) {
        func same(_ x: Datom, _ y: Datom) -> Bool { x.v == y.v && x.vTag == y.vTag && x.tx == y.tx }
        if old.count + new.count > Self.smallGroup {
            let was = Set(old.map { DatomKey($0) }), now = Set(new.map { DatomKey($0) })
            removed.append(contentsOf: old.filter { !now.contains(DatomKey($0)) })
            added.append(contentsOf: new.filter { !was.contains(DatomKey($0)) })
            return
        }
        for d in old where !new.contains(where: { same($0, d) }) { removed.append(d) }
        for d in new where !old.contains(where: { same($0, d) }) { added.append(d) }
    }

    /// A datom's value and tx, hashable.
    private struct DatomKey: Hashable {
        var v: UInt64, tx: Int64, tag: UInt8
        init(_ d: Datom) { (v, tx, tag) = (d.v, d.tx, d.vTag) }
    }

    /// Up to this many values and ops, a cardinality-many group is scanned
    /// as a list; past it, kept as a ``ValueSet``.
    private static let smallGroup = 16

    /// Whether the (e, a) group whose ops start at `first` and which holds
    /// `held` values already passes ``smallGroup``; looks no further than that.
    private func isLarge(group e: Int64, _ a: UInt32, from first: Int, of ops: [Resolved], holding held: Int) -> Bool {
        var n = held, i = first
        while i < ops.count, ops[i].e == e, ops[i].a == a {
            n += 1
            if n > Self.smallGroup { return true }
            i += 1
        }
        return false
    }

    /// The values of one cardinality-many (entity, attribute) group, with
    /// adds and removes by value in constant time.
    private struct ValueSet {
        private(set) var datoms: [Datom]
        private var index: [EncodedValue: Int] = [:]

        init(_ datoms: [Datom]) {
            self.datoms = []
            for d in datoms { add(d) }
        }

        mutating func add(_ d: Datom) {
            let key = d.value
            guard index[key] == nil else { return }
            index[key] = datoms.count
            datoms.append(d)
        }

        mutating func remove(_ v: EncodedValue) {
            guard let i = index.removeValue(forKey: v) else { return }
            let last = datoms.removeLast()
            if i < datoms.count {
                datoms[i] = last
                index[last.value] = i
            }
        }

        mutating func removeAll() {
            datoms.removeAll()
            index.removeAll()
        }
    }

    /// Throws when a unique attribute's value is held by two entities:
    /// for the values this transaction added, and for every value of an
    /// attribute it made unique.
    private func checkUnique(_ db: Database) throws {
        var checked = Set<AttributeValue>()
        func check(_ a: UInt32, _ v: EncodedValue, _ attr: Attribute) throws {
            guard checked.insert(AttributeValue(a: a, v: v)).inserted, let index = db.attributeIndexes[a] else { return }
            let run = index.byValue, range = run.range(DatomRun.Key(v: v))
            guard range.count > 1 else { return }
            let x = run.datom(at: range.lowerBound), y = run.datom(at: range.lowerBound + 1)
            let value = Value(x.value, interner: db.interner).map(EDNWriter.write) ?? "?"
            throw TransactionError("unique conflict: \(attr.ident) \(value) is asserted for entities \(x.e) and \(y.e)",
                                   at: .unknown)
        }
        for (id, attr) in schema.byID where attr.unique != nil && before.schema.attribute(id)?.unique == nil {
            var values: [EncodedValue] = []
            db.scan(DatomFilter(a: id)) { values.append($0.value) }
            for v in values { try check(id, v, attr) }
        }
        for d in added {
            guard let attr = schema.attribute(d.a), attr.unique != nil else { continue }
            try check(d.a, d.value, attr)
        }
    }

    private struct AttributeValue: Hashable {
        var a: UInt32
        var v: EncodedValue
    }
}

extension Database {
    /// A new database with the transaction data applied: an EDN vector of
    /// entity maps and list forms. The receiver is unchanged; on an error
    /// nothing is applied.
    public func transact(_ data: EDN) throws -> Database {
        try transact(data, depthChecked: false)
    }

    /// Applies the transaction data as ``transact(_:)`` does and reports
    /// what it did: the database before and after, the datoms added and
    /// retracted, and the ids the tempids got.
    ///
    /// `instant` is the transaction's `:db/txInstant` (now, by default);
    /// data that asserts `:db/txInstant` for `"datomic.tx"` or
    /// `:db/current-tx` sets it instead.
    public func transactReport(_ data: EDN, at instant: Instant? = nil) throws -> TransactionReport {
        try transactReport(data, at: instant, depthChecked: false)
    }

    /// `depthChecked`: as for ``transact(_:depthChecked:)``.
    func transactReport(_ data: EDN, at instant: Instant?, depthChecked: Bool) throws -> TransactionReport {
        if !depthChecked { try data.checkDepth(what: "the transaction data") }
        var transactor = Transactor(before: self, instant: instant ?? .now)
        let after = try transactor.run(data)
        return TransactionReport(before: self, after: after, transactor: transactor)
    }

    /// `depthChecked`: the data came from the reader, which held it to
    /// ``EDN/maxDepth``; data built in Swift is walked first.
    func transact(_ data: EDN, depthChecked: Bool) throws -> Database {
        if !depthChecked { try data.checkDepth(what: "the transaction data") }
        var transactor = Transactor(before: self, instant: .now)
        return try transactor.run(data)
    }

    /// A database holding the transaction data in `text` (one EDN vector).
    public static func load(edn text: String) throws -> Database {
        try Database().transact(EDNReader.readOne(text, what: "a vector of transaction data"), depthChecked: true)
    }
}
