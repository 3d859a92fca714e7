/// One attribute's datoms, in the two orders queries read them in: by
/// entity (AEVT: an entity's values, and the attribute's column in entity
/// order for scans and merge joins) and by value (AVET: lookups, ranges,
/// and references back to an entity, the VAET of a reference attribute).
///
/// Immutable and shared: a transaction that touches the attribute makes a
/// new index sharing the old one's untouched chunks, and databases that
/// do not touch it share the whole index.
final class AttributeIndex: @unchecked Sendable {
    let id: UInt32
    let byEntity: DatomRun
    let byValue: DatomRun
    /// The planner's figures: datoms, distinct entities, distinct values.
    let stats: Database.AttributeStats

    private init(id: UInt32, byEntity: DatomRun, byValue: DatomRun, stats: Database.AttributeStats) {
        self.id = id
        self.byEntity = byEntity
        self.byValue = byValue
        self.stats = stats
    }

    /// An index of `datoms`, all of attribute `id`, sorted by entity and
    /// then value, none twice.
    convenience init(id: UInt32, sorted datoms: UnsafeBufferPointer<Datom>) throws(CoreError) {
        var byValue = Array(datoms)
        byValue.sort { DatomRun.less($0, $1, .value) }
        var stats = Database.AttributeStats(count: datoms.count)
        for i in datoms.indices where i == 0 || datoms[i].e != datoms[i - 1].e { stats.distinctEntities += 1 }
        for i in byValue.indices where i == 0 || byValue[i].v != byValue[i - 1].v || byValue[i].vTag != byValue[i - 1].vTag {
            stats.distinctValues += 1
        }
        let valueRun = try byValue.withUnsafeBufferPointer { p throws(CoreError) in try DatomRun(order: .value, sorted: p) }
        self.init(id: id, byEntity: try DatomRun(order: .entity, sorted: datoms), byValue: valueRun, stats: stats)
    }

    var count: Int { byEntity.count }
    var byteCount: Int { byEntity.byteCount + byValue.byteCount }

    /// The index with `adds` inserted and `removes` taken out (both in
    /// entity order; every removed datom held, no added one); nil when
    /// nothing is left.
    func updated(adding adds: [Datom], removing removes: [Datom]) throws(CoreError) -> AttributeIndex? {
        let entityRun = try byEntity.updated(adding: adds, removing: removes)
        guard !entityRun.isEmpty else { return nil }
        let valueOrder = { (x: Datom, y: Datom) in DatomRun.less(x, y, .value) }
        let valueRun = try byValue.updated(adding: adds.sorted(by: valueOrder), removing: removes.sorted(by: valueOrder))
        // The figures move by the entities and values the change touched.
        var stats = self.stats
        stats.count = entityRun.count
        var entities = Set<Int64>(), values = Set<EncodedValue>()
        for d in adds { entities.insert(d.e); values.insert(d.value) }
        for d in removes { entities.insert(d.e); values.insert(d.value) }
        for e in entities {
            let key = DatomRun.Key(e: e)
            stats.distinctEntities += (entityRun.range(key).isEmpty ? 0 : 1) - (byEntity.range(key).isEmpty ? 0 : 1)
        }
        for v in values {
            let key = DatomRun.Key(v: v)
            stats.distinctValues += (valueRun.range(key).isEmpty ? 0 : 1) - (byValue.range(key).isEmpty ? 0 : 1)
        }
        return AttributeIndex(id: id, byEntity: entityRun, byValue: valueRun, stats: stats)
    }

    /// The run serving `f` (whose attribute is this one) and the range of
    /// it whose key matches `f`'s fixed positions: exact when those are
    /// an entity, an entity and a value, or a value; the whole attribute
    /// when only the tx is fixed (`Database.matches` checks it).
    @inline(__always)
    func candidates(_ f: DatomFilter) -> (DatomRun, Range<Int>) {
        if let e = f.e { return (byEntity, byEntity.range(DatomRun.Key(e: e, v: f.v))) }
        if let v = f.v { return (byValue, byValue.range(DatomRun.Key(v: v))) }
        return (byEntity, 0..<byEntity.count)
    }

    /// ``Database/scan(_:from:_:)`` over the datoms whose values lie in
    /// `stretches` of the value order (``ValueBounds/stretches``), taken
    /// one after the other as one sequence of candidates.
    func scan(_ f: DatomFilter, within stretches: [ValueBounds.Stretch], from start: Int,
              _ body: (Datom) throws -> Bool) rethrows -> Int? {
        let run = byValue
        return try Database.walk(stretches.lazy.map { (run, run.positions(tag: $0.tag, words: $0.words)) }, from: start, f,
                                 body)
    }

    /// Datoms whose values lie in `stretches`.
    func count(within stretches: [ValueBounds.Stretch]) -> Int {
        stretches.reduce(0) { $0 + byValue.positions(tag: $1.tag, words: $1.words).count }
    }

    /// ``Database/scan(_:from:_:)`` for a filter naming this attribute.
    @inline(__always)
    func scan(_ f: DatomFilter, from start: Int, _ body: (Datom) throws -> Bool) rethrows -> Int? {
        let (run, range) = candidates(f)
        return try Database.walk(run, range, from: start, f, body)
    }
}
