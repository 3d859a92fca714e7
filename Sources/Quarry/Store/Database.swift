/// An immutable database value: the current datoms and their indexes.
///
/// Each attribute's datoms are held apart: once in entity order, the
/// attribute as a column its entities join along, and once in value
/// order, for lookups, ranges and references back. Each order is a run
/// of sorted chunks with a small directory of them. A database never
/// changes after it is built: ``transact(_:)`` returns a new one that
/// shares every chunk the transaction did not touch, so a transaction
/// costs what it changes and old values keep their answers. Any number
/// of threads may query a database while others transact.
public final class Database: @unchecked Sendable {
    let interner: Interner
    /// The attributes the database knows.
    public let schema: Schema
    /// Per attribute id, its datoms.
    let attributeIndexes: [UInt32: AttributeIndex]
    /// The same, in id order: a scan that names no attribute walks them so.
    let orderedIndexes: [AttributeIndex]
    /// Figures the planner estimates with instead of the datoms held: a
    /// replica of a remote source plans with the source's figures, so that
    /// every round of a remote query runs the same plan.
    let plannedFigures: [UInt32: AttributeStats]?
    /// The largest entity id in use (tempids are allocated above it).
    let maxEntity: Int64
    /// The id the next transaction gets.
    let nextTx: Int64
    /// Datoms held.
    public let count: Int

    /// The id of the first transaction, as in DataScript.
    public static let firstTx: Int64 = 536_870_913

    /// Entity ids reserved for the system: attribute entities (declared by
    /// schema maps) count down from just below ``firstTx``, transactions
    /// count up from it. Tempids never take these ids. A data pattern that
    /// names neither an entity nor an attribute (`[?e ?a ?v]`) skips the
    /// datoms of these entities, so full scans answer as DataScript's do;
    /// they are found through their attributes (`[?tx :db/txInstant ?t]`,
    /// `[?a :db/ident ?i]`) or their ids.
    public static let systemEntities: Range<Int64> = (firstTx - (1 << 24))..<(firstTx + (1 << 40))

    /// Figures of one attribute, for the planner's estimates.
    struct AttributeStats {
        var count = 0
        var distinctEntities = 0
        var distinctValues = 0
    }

    /// An empty database.
    public convenience init() throws(CoreError) {
        try self.init(interner: Interner(), schema: Schema(), datoms: CoreVector(), maxEntity: 0,
                      nextTx: Database.firstTx)
    }

    /// A database of `datoms` (any order, none twice), indexed from scratch.
    convenience init(interner: Interner, schema: Schema, datoms: CoreVector<Datom>, maxEntity: Int64, nextTx: Int64,
                     figures: [UInt32: AttributeStats]? = nil) throws(CoreError)
    {
        datoms.withMutableElements { p in
            p.sort { x, y in x.a != y.a ? x.a < y.a : DatomRun.less(x, y, .entity) }
        }
        let indexes = try datoms.withElements { d throws(CoreError) in try Self.indexes(sorted: d) }
        self.init(interner: interner, schema: schema, indexes: indexes, maxEntity: maxEntity, nextTx: nextTx,
                  figures: figures)
    }

    /// A database of `datoms`, each attribute's contiguous and in entity
    /// order (``Datom/aevt(_:_:)`` sorts so), none twice: read in place,
    /// neither copied nor sorted again.
    convenience init(interner: Interner, schema: Schema, sorted datoms: [Datom], maxEntity: Int64, nextTx: Int64,
                     figures: [UInt32: AttributeStats]? = nil) throws(CoreError)
    {
        let indexes = try datoms.withUnsafeBufferPointer { d throws(CoreError) in try Self.indexes(sorted: d) }
        self.init(interner: interner, schema: schema, indexes: indexes, maxEntity: maxEntity, nextTx: nextTx,
                  figures: figures)
    }

    /// The index of each attribute of `datoms` (as ``init(interner:schema:sorted:maxEntity:nextTx:figures:)`` takes them).
    private static func indexes(sorted datoms: UnsafeBufferPointer<Datom>) throws(CoreError) -> [UInt32: AttributeIndex] {
        var indexes: [UInt32: AttributeIndex] = [:]
        var start = 0
        while start < datoms.count {
            var end = start + 1
            while end < datoms.count, datoms[end].a == datoms[start].a { end += 1 }
            indexes[datoms[start].a] = try AttributeIndex(id: datoms[start].a,
                                                          sorted: UnsafeBufferPointer(rebasing: datoms[start..<end]))
            start = end
        }
        return indexes
    }

    /// `ordered` and `count`: the same indexes in id order and their
    /// datoms, when the caller has them (a transaction keeps them up to date
    /// instead of going over every attribute).
    init(interner: Interner, schema: Schema, indexes: [UInt32: AttributeIndex], ordered: [AttributeIndex]? = nil,
         count: Int? = nil, maxEntity: Int64, nextTx: Int64, figures: [UInt32: AttributeStats]? = nil) {
        self.interner = interner
        self.schema = schema
        attributeIndexes = indexes
        orderedIndexes = ordered ?? indexes.values.sorted { $0.id < $1.id }
        self.count = count ?? orderedIndexes.reduce(0) { $0 + $1.count }
        plannedFigures = figures
        self.maxEntity = maxEntity
        self.nextTx = nextTx
    }

    /// The database with `adds` inserted and `removes` taken out: every
    /// removed datom held, no added one. Attributes the change does not
    /// touch are shared with the receiver, and within one it does, the
    /// chunks it does not.
    func applying(adds: [Datom], removes: [Datom], interner: Interner, schema: Schema, maxEntity: Int64,
                  nextTx: Int64) throws(CoreError) -> Database {
        let order = { (x: Datom, y: Datom) in x.a != y.a ? x.a < y.a : DatomRun.less(x, y, .entity) }
        let adds = adds.sorted(by: order), removes = removes.sorted(by: order)
        var indexes = attributeIndexes, ordered = orderedIndexes, total = count
        // Where attribute `a` stands (or would) in id order: the order is kept, not sorted again.
        func slot(_ a: UInt32) -> Int {
            var lo = 0, hi = ordered.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if ordered[mid].id < a { lo = mid + 1 } else { hi = mid }
            }
            return lo
        }
        var i = 0, j = 0
        while i < adds.count || j < removes.count {
            let a = j == removes.count || (i < adds.count && adds[i].a < removes[j].a) ? adds[i].a : removes[j].a
            let addStart = i, removeStart = j
            while i < adds.count, adds[i].a == a { i += 1 }
            while j < removes.count, removes[j].a == a { j += 1 }
            if let index = indexes[a] {
                let updated = try index.updated(adding: Array(adds[addStart..<i]), removing: Array(removes[removeStart..<j]))
                indexes[a] = updated
                total += (updated?.count ?? 0) - index.count
                if let updated { ordered[slot(a)] = updated } else { ordered.remove(at: slot(a)) }
            } else if i > addStart {
                // A new attribute's index is built from the sorted adds in place (a load: every attribute).
                let made = try adds.withUnsafeBufferPointer { p throws(CoreError) in
                    try AttributeIndex(id: a, sorted: UnsafeBufferPointer(rebasing: p[addStart..<i]))
                }
                indexes[a] = made
                total += made.count
                ordered.insert(made, at: slot(a))
            }
        }
        return Database(interner: interner, schema: schema, indexes: indexes, ordered: ordered, count: total,
                        maxEntity: maxEntity, nextTx: nextTx)
    }

    /// Entity ids from 0 that are dense enough (up to twice the datoms, or
    /// 1024) for a per-id array: the closure search stamps them.
    var denseEntities: Int {
        maxEntity >= 0 && maxEntity < Int64(max(1024, 2 * count)) ? Int(maxEntity) + 1 : 0
    }

    /// Per attribute, the figures ``describe()`` gives: the planned ones
    /// where the database has them, else its own.
    var stats: [UInt32: AttributeStats] {
        plannedFigures ?? Dictionary(uniqueKeysWithValues: orderedIndexes.map { ($0.id, $0.stats) })
    }

    /// The figures of attribute `a` the planner uses.
    func planningStats(_ a: UInt32) -> AttributeStats? {
        plannedFigures.map { $0[a] } ?? attributeIndexes[a]?.stats
    }

    /// Datoms matching `f` for the planner: the index range's size, or with
    /// planned figures an estimate from them.
    func estimatedCount(_ f: DatomFilter) -> Int {
        guard let figures = plannedFigures else { return rangeCount(f) }
        guard let a = f.a else {
            let all = figures.values.reduce(0) { $0 + $1.count }
            return f.e != nil ? max(1, all / max(1, Int(maxEntity))) : all
        }
        guard let s = figures[a] else { return 0 }
        if f.e != nil { return max(1, s.count / max(1, s.distinctEntities)) }
        if f.v != nil { return max(1, s.count / max(1, s.distinctValues)) }
        return s.count
    }

    /// Engine bytes of the indexes and the interned strings (chunks shared
    /// with other database values count in each).
    public var byteCount: Int {
        orderedIndexes.reduce(interner.byteCount) { $0 + $1.byteCount }
    }

    /// The attribute id of an ident, if any datom or schema entry uses it.
    func attributeID(_ ident: Keyword) -> UInt32? {
        interner.id(of: ident.text).map { UInt32(truncatingIfNeeded: $0) }
    }

    func ident(_ attributeID: UInt32) -> Keyword {
        Keyword(interner.string(for: UInt64(attributeID)) ?? "?")
    }

    func attribute(_ id: UInt32) -> Attribute? { schema.attribute(id) }
}
