/// An immutable database value: the current datoms and their indexes.
///
/// Datoms live in the engine's memory as one flat array sorted by entity,
/// attribute, value, tx (EAVT); three permutations of 32-bit positions into
/// it give the AEVT, AVET and VAET orders. Every index is built by sorting,
/// O(n log n), and scanned without allocating per datom. A database never
/// changes after it is built (``transact(_:)`` returns a new one), so it may
/// be queried from many threads at once.
public final class Database: @unchecked Sendable {
    let interner: Interner
    public let schema: Schema
    let datoms: CoreVector<Datom>
    let aevt: CoreVector<UInt32>
    let avet: CoreVector<UInt32>
    let vaet: CoreVector<UInt32>
    /// Per entity id e, the EAVT position of its first datom (entry e + 1
    /// ends it): an entity's datoms without a binary search. Built when
    /// entity ids are dense enough (at most twice the datoms, or 1024);
    /// nil otherwise, and scans fall back to binary search.
    let entityStarts: CoreVector<UInt32>?
    let stats: [UInt32: AttributeStats]
    /// Figures the planner estimates with instead of the datoms held: a
    /// replica of a remote source plans with the source's figures, so that
    /// every round of a remote query runs the same plan.
    let plannedFigures: [UInt32: AttributeStats]?
    /// The largest entity id in use (tempids are allocated above it).
    let maxEntity: Int64
    /// The id the next transaction gets.
    let nextTx: Int64

    /// The id of the first transaction, as in DataScript.
    public static let firstTx: Int64 = 536_870_913

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

    init(interner: Interner, schema: Schema, datoms: CoreVector<Datom>, maxEntity: Int64, nextTx: Int64,
         figures: [UInt32: AttributeStats]? = nil) throws(CoreError)
    {
        plannedFigures = figures
        self.interner = interner
        self.schema = schema
        self.maxEntity = maxEntity
        self.nextTx = nextTx
        datoms.withMutableElements { $0.sort(by: Datom.eavt) }
        self.datoms = datoms
        (aevt, avet, vaet, stats) = try Self.buildIndexes(datoms)
        entityStarts = try Self.entityStarts(datoms)
    }

    private static func entityStarts(_ datoms: CoreVector<Datom>) throws(CoreError) -> CoreVector<UInt32>? {
        let n = datoms.count
        guard n > 0, datoms[0].e >= 0, datoms[n - 1].e <= Int64(max(1024, 2 * n)) else { return nil }
        let entities = Int(datoms[n - 1].e) + 1
        let starts = try CoreVector<UInt32>(repeating: UInt32(n), count: entities + 1)
        datoms.withElements { d in
            starts.withMutableElements { p in
                // Walking down, each entity's start ends as its first datom; ids without datoms take the next start.
                var e = entities
                for i in stride(from: n - 1, through: -1, by: -1) {
                    let below = i >= 0 ? Int(d[i].e) : -1
                    while e > below {
                        p[e] = UInt32(i + 1)
                        e -= 1
                    }
                }
            }
        }
        return starts
    }

    /// The AEVT, AVET and VAET permutations of EAVT-sorted datoms, and the
    /// figures of each attribute.
    private static func buildIndexes(_ datoms: CoreVector<Datom>) throws(CoreError)
        -> (CoreVector<UInt32>, CoreVector<UInt32>, CoreVector<UInt32>, [UInt32: AttributeStats])
    {
        let n = datoms.count
        let aevt = try CoreVector<UInt32>(repeating: 0, count: n)
        let avet = try CoreVector<UInt32>(repeating: 0, count: n)
        let vaet = try CoreVector<UInt32>(repeating: 0, count: n)
        var stats: [UInt32: AttributeStats] = [:]
        datoms.withElements { d in
            // AEVT: a stable counting sort by attribute of the EAVT order.
            var offsets: [UInt32: Int] = [:]
            for x in d { offsets[x.a, default: 0] += 1 }
            var next = 0
            for a in offsets.keys.sorted() {
                let c = offsets[a]!
                offsets[a] = next
                next += c
            }
            aevt.withMutableElements { p in
                for i in 0..<n {
                    let a = d[i].a
                    p[offsets[a]!] = UInt32(i)
                    offsets[a]! += 1
                }
            }
            sortPositions(avet, of: d) { x, y in
                if x.a != y.a { return x.a < y.a }
                if x.vTag != y.vTag { return x.vTag < y.vTag }
                if x.v != y.v { return x.v < y.v }
                return x.e < y.e
            }
            sortPositions(vaet, of: d) { x, y in
                if x.vTag != y.vTag { return x.vTag < y.vTag }
                if x.v != y.v { return x.v < y.v }
                if x.a != y.a { return x.a < y.a }
                return x.e < y.e
            }
            // Per attribute: datoms, distinct entities (runs in AEVT), distinct values (runs in AVET).
            aevt.withElements { p in
                var i = 0
                while i < n {
                    let a = d[Int(p[i])].a
                    var s = AttributeStats()
                    var lastE: Int64? = nil
                    while i < n, d[Int(p[i])].a == a {
                        let e = d[Int(p[i])].e
                        if e != lastE { s.distinctEntities += 1; lastE = e }
                        s.count += 1
                        i += 1
                    }
                    stats[a] = s
                }
            }
            avet.withElements { p in
                var i = 0
                while i < n {
                    let x = d[Int(p[i])]
                    var j = i + 1
                    while j < n, d[Int(p[j])].a == x.a, d[Int(p[j])].vTag == x.vTag, d[Int(p[j])].v == x.v { j += 1 }
                    stats[x.a, default: AttributeStats()].distinctValues += 1
                    i = j
                }
            }
        }
        return (aevt, avet, vaet, stats)
    }

    /// Fills `positions` with the datoms' positions ordered by `before`.
    private static func sortPositions(_ positions: CoreVector<UInt32>, of d: UnsafeBufferPointer<Datom>,
                                      by before: (Datom, Datom) -> Bool) {
        positions.withMutableElements { p in
            for i in 0..<p.count { p[i] = UInt32(i) }
            p.sort { i, j in before(d[Int(i)], d[Int(j)]) }
        }
    }

    /// Datoms held.
    public var count: Int { datoms.count }

    /// The figures of attribute `a` the planner uses.
    func planningStats(_ a: UInt32) -> AttributeStats? {
        plannedFigures.map { $0[a] } ?? stats[a]
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

    /// Engine bytes of the datoms, the indexes and the interned strings.
    public var byteCount: Int {
        datoms.byteCount + aevt.byteCount + avet.byteCount + vaet.byteCount + (entityStarts?.byteCount ?? 0)
            + interner.byteCount
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
