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
    /// The attributes the database knows.
    public let schema: Schema
    let datoms: CoreVector<Datom>
    let aevt: CoreVector<UInt32>
    let avet: CoreVector<UInt32>
    let vaet: CoreVector<UInt32>
    /// Per entity id e, the EAVT position of its first datom (entry e + 1
    /// ends it): an entity's datoms without a binary search. It covers the
    /// ids from 0 while they are dense enough (up to twice the datoms, or
    /// 1024), so transaction entities and attribute entities, far above,
    /// do not void it; ids past it fall back to binary search. Nil when no
    /// datom's id is in that range.
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
        // Planned figures stand in for the datoms' own (a replica's are partial anyway).
        let own: [UInt32: AttributeStats]
        (aevt, avet, vaet, own) = try Self.buildIndexes(datoms, figures: figures == nil)
        stats = figures ?? own
        entityStarts = try Self.entityStarts(datoms)
    }

    private static func entityStarts(_ datoms: CoreVector<Datom>) throws(CoreError) -> CoreVector<UInt32>? {
        let n = datoms.count
        let bound = Int64(max(1024, 2 * n))
        guard n > 0, datoms[0].e >= 0, datoms[0].e <= bound else { return nil }
        // The datoms whose ids are covered: a prefix of the EAVT order.
        var covered = n
        while covered > 0, datoms[covered - 1].e > bound { covered -= 1 }
        let entities = Int(datoms[covered - 1].e) + 1
        let starts = try CoreVector<UInt32>(repeating: UInt32(covered), count: entities + 1)
        datoms.withElements { d in
            starts.withMutableElements { p in
                // Walking down, each entity's start ends as its first datom; ids without datoms take the next start.
                var e = entities
                for i in stride(from: covered - 1, through: -1, by: -1) {
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

    /// The AEVT, AVET and VAET permutations of EAVT-sorted datoms, and
    /// (when `figures`) the figures of each attribute.
    private static func buildIndexes(_ datoms: CoreVector<Datom>, figures: Bool) throws(CoreError)
        -> (CoreVector<UInt32>, CoreVector<UInt32>, CoreVector<UInt32>, [UInt32: AttributeStats])
    {
        let n = datoms.count
        let aevt = try CoreVector<UInt32>(repeating: 0, count: n)
        let avet = try CoreVector<UInt32>(repeating: 0, count: n)
        let vaet = try CoreVector<UInt32>(repeating: 0, count: n)
        var stats: [UInt32: AttributeStats] = [:]
        datoms.withElements { d in
            // Attribute ids are interned ids, dense and small: per-attribute
            // tallies are arrays indexed by id.
            let slots = (d.lazy.map { Int($0.a) }.max() ?? 0) + 1
            // AEVT: a stable counting sort by attribute of the EAVT order.
            var starts = [Int](repeating: 0, count: slots + 1)
            for x in d { starts[Int(x.a) + 1] += 1 }
            for a in 0..<slots { starts[a + 1] += starts[a] }
            var next = starts
            aevt.withMutableElements { p in
                for i in 0..<n {
                    let a = Int(d[i].a)
                    p[next[a]] = UInt32(i)
                    next[a] += 1
                }
            }
            // Ties on the key fall to the EAVT position, which orders by
            // entity. Keys are laid out in the previous index's order, whose
            // runs (an attribute's values often rise with its entities) the
            // sort finds and merges instead of sorting from scratch.
            sortPositions(avet, laidOutAs: aevt, of: d) { x, i in SortKey(UInt64(x.a) << 8 | UInt64(x.vTag), x.v, UInt64(i)) }
            sortPositions(vaet, laidOutAs: avet, of: d) { x, i in SortKey(UInt64(x.vTag), x.v, UInt64(x.a) << 32 | UInt64(i)) }
            guard figures else { return }
            // Per attribute: datoms, distinct entities (runs in AEVT), distinct values (runs in AVET).
            var entities = [Int](repeating: 0, count: slots), values = [Int](repeating: 0, count: slots)
            aevt.withElements { p in
                for i in 0..<n where i == 0 || d[Int(p[i])].a != d[Int(p[i - 1])].a || d[Int(p[i])].e != d[Int(p[i - 1])].e {
                    entities[Int(d[Int(p[i])].a)] += 1
                }
            }
            avet.withElements { p in
                for i in 0..<n {
                    let x = d[Int(p[i])]
                    if i > 0 {
                        let y = d[Int(p[i - 1])]
                        if x.a == y.a, x.vTag == y.vTag, x.v == y.v { continue }
                    }
                    values[Int(x.a)] += 1
                }
            }
            for a in 0..<slots where starts[a + 1] > starts[a] {
                stats[UInt32(a)] = AttributeStats(count: starts[a + 1] - starts[a], distinctEntities: entities[a],
                                                  distinctValues: values[a])
            }
        }
        return (aevt, avet, vaet, stats)
    }

    /// Three words compared in order, the position in the low half of the
    /// last: sorted flat and inline, where sorting positions would chase
    /// each into the datoms through a closure.
    private struct SortKey {
        var k0, k1, k2: UInt64
        init(_ k0: UInt64, _ k1: UInt64, _ k2: UInt64) { (self.k0, self.k1, self.k2) = (k0, k1, k2) }
    }

    /// Fills `positions` with the datoms' positions in the order of their
    /// keys, the keys first laid out in the order of `order`.
    @inline(__always)
    private static func sortPositions(_ positions: CoreVector<UInt32>, laidOutAs order: CoreVector<UInt32>,
                                      of d: UnsafeBufferPointer<Datom>, key: (Datom, UInt32) -> SortKey) {
        var keys = order.withElements { o in o.map { key(d[Int($0)], $0) } }
        keys.sort { x, y in x.k0 != y.k0 ? x.k0 < y.k0 : x.k1 != y.k1 ? x.k1 < y.k1 : x.k2 < y.k2 }
        positions.withMutableElements { p in
            for i in keys.indices { p[i] = UInt32(truncatingIfNeeded: keys[i].k2) }
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
