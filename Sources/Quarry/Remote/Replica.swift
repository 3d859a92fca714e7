/// The datoms a remote query has fetched so far, and which keys they
/// cover: the executor reads this store, rebuilt as a ``Database`` after
/// each round, and the gate trusts it only for covered keys.
///
/// Planning uses the source's figures, not the replica's, so that every
/// round runs the same plan.
final class Replica {
    let sourceName: String
    let interner: Interner
    private let schema: Schema
    /// Datoms in AEVT order, each (e, a, v) once; those arrived since the
    /// last build wait in arrival order, and join by a sort of their own
    /// and a merge (a datom fetched twice is kept once, with its
    /// transaction when one copy knows it).
    private var datoms: [Datom] = []
    private var arrived: [Datom] = []
    private var figures: [UInt32: Database.AttributeStats] = [:]
    private let maxEntity: Int64
    /// What is held completely, per attribute: slot 0 for scans of every
    /// attribute, slot id + 1 for attribute id (ids are dense and small, so
    /// the gate's check per key is an index, not a hash).
    private var held: [Held] = []
    private var built: Database?

    /// The slot of `held` for an attribute id (nil: every attribute).
    private static func slot(_ attribute: UInt32?) -> Int { attribute.map { Int($0) + 1 } ?? 0 }

    private struct Held {
        /// The attribute whole: 0 no, 1 without transactions, 2 with them.
        var whole: UInt8 = 0
        /// The values of the attribute a filter admits, whole.
        var filteredWhole: [(filter: ScanFilter, withTx: Bool)] = []
        /// Keys held, per bound positions, transactions and filter (empty:
        /// every value of the key), in the core's dedup tables.
        var keyed: [(parameters: PositionSet, withTx: Bool, filter: ScanFilter, keys: DedupSet)] = []
    }

    /// The unknown transaction of a datom fetched without it.
    static let unknownTx: Int64 = -1

    init(source: String, description: SourceDescription) throws {
        sourceName = source
        interner = try Interner()
        maxEntity = description.maxEntity
        schema = try Schema(description.attributes, interner: interner)
        for (k, f) in description.figures {
            let id = UInt32(truncatingIfNeeded: try interner.intern(k.text))
            figures[id] = .init(count: f.datoms, distinctEntities: f.distinctEntities, distinctValues: f.distinctValues)
        }
    }

    /// The source's count of distinct keys of attribute `a` for a pattern
    /// binding only `parameters` (entity or value); nil otherwise.
    func distinctKeys(_ a: UInt32?, _ parameters: PositionSet) -> Int? {
        guard let a, let f = figures[a] else { return nil }
        switch parameters {
        case [.e]: return f.distinctEntities
        case [.v]: return f.distinctValues
        default: return nil
        }
    }

    /// The source's count of datoms of attribute `a`, if known.
    func attributeRows(_ a: UInt32) -> Int? { figures[a]?.count }

    func ident(_ id: UInt32) -> Keyword { Keyword(interner.string(for: UInt64(id)) ?? "?") }

    func decode(_ v: EncodedValue) -> Value? { Value(v, interner: interner) }

    /// The store as a database, rebuilt when datoms arrived since.
    func database() throws -> Database {
        if let built { return built }
        merge()
        // Already in the order the database's runs are built in.
        let db = try Database(interner: interner, schema: schema, sorted: datoms, maxEntity: maxEntity,
                              nextTx: Database.firstTx, figures: figures)
        built = db
        return db
    }

    /// Moves the arrived datoms into `datoms`, in order and without copies.
    private func merge() {
        guard !arrived.isEmpty else { return }
        Self.arrange(&arrived)
        if datoms.isEmpty {
            // The first round's datoms: copies dropped in place (in a local:
            // each access to the property would be checked for exclusivity).
            var first: [Datom] = []
            swap(&first, &arrived)
            var kept = 0
            for i in first.indices {
                let x = first[i]
                if kept > 0, Self.sameDatom(first[kept - 1], x) {
                    first[kept - 1] = x
                } else {
                    first[kept] = x
                    kept += 1
                }
            }
            first.removeLast(first.count - kept)
            datoms = first
            return
        }
        var out: [Datom] = []
        out.reserveCapacity(datoms.count + arrived.count)
        var i = 0, j = 0
        while i < datoms.count || j < arrived.count {
            let d: Datom
            if j == arrived.count || (i < datoms.count && Datom.aevt(datoms[i], arrived[j])) {
                d = datoms[i]
                i += 1
            } else {
                d = arrived[j]
                j += 1
            }
            // Copies meet in order of transaction, the unknown (-1) first.
            if let last = out.last, Self.sameDatom(last, d) {
                out[out.count - 1] = d
            } else {
                out.append(d)
            }
        }
        datoms = out
        arrived.removeAll(keepingCapacity: true)
    }

    /// Whether `x` and `y` are one datom (its transaction aside): the
    /// later of two copies in ``Datom/aevt(_:_:)`` order is kept, since
    /// copies meet in order of transaction, the unknown (-1) first.
    @inline(__always)
    private static func sameDatom(_ x: Datom, _ y: Datom) -> Bool {
        x.e == y.e && x.a == y.a && x.vTag == y.vTag && x.v == y.v
    }

    /// Puts `datoms` in ``Datom/aevt(_:_:)`` order, the order a database
    /// builds its runs in. A source's whole attributes often arrive one
    /// after the other, each in entity order (a table's rows as they were
    /// loaded): those runs are only put in attribute order (a pass to
    /// check them, a copy), where a sort would compare and move every
    /// datom; anything else is sorted.
    static func arrange(_ datoms: inout [Datom]) {
        var runs: [(a: UInt32, range: Range<Int>)] = []
        var inOrder = true, i = 0
        scan: while i < datoms.count {
            var j = i + 1
            while j < datoms.count, datoms[j].a == datoms[i].a {
                if Datom.aevt(datoms[j], datoms[j - 1]) {
                    inOrder = false
                    break scan
                }
                j += 1
            }
            runs.append((datoms[i].a, i..<j))
            i = j
        }
        guard inOrder, Set(runs.map(\.a)).count == runs.count else {
            datoms.sort(by: Datom.aevt)
            return
        }
        if runs.indices.dropFirst().allSatisfy({ runs[$0 - 1].a < runs[$0].a }) { return }
        runs.sort { $0.a < $1.a }
        var out: [Datom] = []
        out.reserveCapacity(datoms.count)
        for r in runs { out.append(contentsOf: datoms[r.range]) }
        datoms = out
    }

    /// Whether every datom a pattern of `shape` can read for `key` is here.
    func covers(_ shape: ScanGate.PatternShape, key: KeyRow) -> Bool {
        coverage(of: shape).covers(key)
    }

    /// What answers, for the keys of a pattern of `shape`, whether the
    /// replica holds all their datoms: found once for many keys.
    func coverage(of shape: ScanGate.PatternShape) -> Coverage {
        if holdsWhole(shape) { return Coverage(whole: true, sets: []) }
        var sets: [(keys: DedupSet, kept: PositionSet?)] = []
        let slot = Self.slot(shape.attribute)
        for s in slot == 0 ? [0] : [slot, 0] where s < held.count {
            for k in held[s].keyed where k.parameters.isSubset(of: shape.parameters) && (k.withTx || !shape.needsTx)
                && k.filter.subsumes(shape.filter) {
                sets.append((k.keys, k.parameters == shape.parameters ? nil : k.parameters))
            }
        }
        return Coverage(whole: false, sets: sets)
    }

    /// The replica's coverage of one pattern shape (see ``coverage(of:)``).
    struct Coverage {
        /// Every key is covered.
        let whole: Bool
        /// Sets of covered keys, each with the positions its keys keep
        /// (nil: all of the shape's).
        let sets: [(keys: DedupSet, kept: PositionSet?)]

        func covers(_ key: KeyRow) -> Bool {
            if whole { return true }
            for (keys, kept) in sets where keys.contains(kept.map { key.restricted(to: $0) } ?? key) { return true }
            return false
        }
    }

    /// Whether every datom a pattern of `shape` can read is here, whatever
    /// its key: every one of the attribute, or every one of a filter
    /// admitting all the pattern's filter does.
    func holdsWhole(_ shape: ScanGate.PatternShape) -> Bool {
        func whole(_ slot: Int) -> Bool {
            guard slot < held.count else { return false }
            if held[slot].whole >= (shape.needsTx ? 2 : 1) { return true }
            return held[slot].filteredWhole.contains { ($0.withTx || !shape.needsTx) && $0.filter.subsumes(shape.filter) }
        }
        let slot = Self.slot(shape.attribute)
        return whole(slot) || (slot != 0 && whole(0))
    }

    /// Adds a round's answers: every response they drew on (each once),
    /// its datoms and the keys it covers.
    func add(_ results: [ScanResult]) throws {
        var seen = Set<ObjectIdentifier>()
        for r in results {
            for response in r.responses where seen.insert(ObjectIdentifier(response.rows)).inserted {
                try add(response)
            }
        }
    }

    /// A response's rows, completed from their bindings, and its keys.
    private func add(_ response: ScanResult.Response) throws {
        let shape = response.shape
        let attributes: [UInt32?] = shape.attributes.isEmpty ? [nil]
            : try shape.attributes.map { UInt32(truncatingIfNeeded: try interner.intern($0.text)) }
        let keys = try response.bindings.map { try KeyRow($0, shape.parameters, interner: interner) }
        // Gathered in a local array: appending to the property per row
        // costs an exclusivity check each.
        var datoms: [Datom] = []
        datoms.reserveCapacity(response.rows.count)
        try response.rows.forEachEncoded(interner: interner) { row in
            let key = keys[row.binding]
            guard let e = row.e ?? key.value(at: 0).map({ Int64(bitPattern: $0.word) }),
                  let a = row.a ?? (attributes.count == 1 ? attributes[0] : key.value(at: 1).map { UInt32(truncatingIfNeeded: $0.word) }),
                  let v = row.v ?? key.value(at: 2) else { return }
            let tx = row.tx ?? key.value(at: 3).map { Int64(bitPattern: $0.word) } ?? Self.unknownTx
            datoms.append(Datom(e: e, v: v.word, tx: tx, a: a, vTag: v.tag.rawValue))
        }
        if !datoms.isEmpty {
            arrived.append(contentsOf: datoms)
            built = nil
        }
        // A filtered response holds only the datoms of its keys its filter admits.
        let withTx = shape.known.contains(.tx), filter = shape.filter
        for a in attributes {
            let slot = Self.slot(a)
            if slot >= held.count { held.append(contentsOf: repeatElement(Held(), count: slot + 1 - held.count)) }
            if shape.parameters.isEmpty {
                if filter.isEmpty {
                    held[slot].whole = max(held[slot].whole, withTx ? 2 : 1)
                } else {
                    held[slot].filteredWhole.append((filter, withTx))
                }
                continue
            }
            let set: DedupSet
            if let k = held[slot].keyed.first(where: { $0.parameters == shape.parameters && $0.withTx == withTx
                && $0.filter == filter }) {
                set = k.keys
            } else {
                set = try DedupSet(arity: 4)
                held[slot].keyed.append((shape.parameters, withTx, filter, set))
            }
            for k in keys { try set.insert(k) }
        }
    }
}
