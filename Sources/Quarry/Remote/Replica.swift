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
    private var datoms: [Datom] = []
    /// Position in `datoms` of each (e, a, value), so that a datom fetched
    /// twice is kept once, and a transaction learnt later is filled in.
    private var positions: [DatomIdentity: Int] = [:]
    private var figures: [UInt32: Database.AttributeStats] = [:]
    private let maxEntity: Int64
    private var coverage: [UInt32?: [CoverageEntry]] = [:]
    private var built: Database?

    private struct DatomIdentity: Hashable {
        let e: Int64, a: UInt32, v: UInt64, tag: UInt8
    }

    private struct CoverageEntry {
        let parameters: PositionSet
        let withTx: Bool
        var keys: Set<[EncodedValue]>
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

    /// Interns every string and keyword of `edn` (a query's text), so that
    /// the plan's constants have ids before the first datom arrives.
    func intern(constantsOf edn: EDN) throws {
        switch edn.form {
        case .string(let s): _ = try interner.intern(s)
        case .keyword(let k): _ = try interner.intern(k.text)
        case .uuid(let u): _ = try interner.intern(bytes: Value.bytes(of: u))
        case .list(let items), .vector(let items), .map(let items), .set(let items):
            for child in items { try intern(constantsOf: child) }
        case .tagged(_, let inner): try intern(constantsOf: inner)
        default: break
        }
    }

    func ident(_ id: UInt32) -> Keyword { Keyword(interner.string(for: UInt64(id)) ?? "?") }

    func decode(_ v: EncodedValue) -> Value? { Value(v, interner: interner) }

    /// The store as a database, rebuilt when datoms arrived since.
    func database() throws -> Database {
        if let built { return built }
        let vector = CoreVector<Datom>()
        try vector.reserve(datoms.count)
        for d in datoms { try vector.append(d) }
        let db = try Database(interner: interner, schema: schema, datoms: vector, maxEntity: maxEntity,
                              nextTx: Database.firstTx, figures: figures)
        built = db
        return db
    }

    /// Whether every datom of `key` (values at `parameters`) is here.
    func covers(attribute: UInt32?, parameters: PositionSet, key: [EncodedValue], needsTx: Bool) -> Bool {
        for bucket in attribute == nil ? [nil] : [attribute, nil] {
            for c in coverage[bucket] ?? [] where c.parameters.isSubset(of: parameters) && (c.withTx || !needsTx) {
                let k = c.parameters == parameters ? key
                    : c.parameters.indexes.map { key[parameters.indexes.firstIndex(of: $0)!] }
                if c.keys.contains(k) { return true }
            }
        }
        return false
    }

    /// Adds a round's answers: their datoms, and the keys they cover.
    func add(_ results: [ScanResult]) throws {
        try ScanResult.forEachResponseRow(of: results) { try add($0) }
        for r in results {
            let shape = r.request.shape
            let attributes: [UInt32?] = shape.attributes.isEmpty ? [nil]
                : try shape.attributes.map { UInt32(truncatingIfNeeded: try interner.intern($0.text)) }
            let keys = try Set(r.request.bindings.map { b in try b.map { try $0.encoded(in: interner) } })
            for a in attributes {
                let withTx = shape.known.contains(.tx)
                if let i = coverage[a]?.firstIndex(where: { $0.parameters == shape.parameters && $0.withTx == withTx }) {
                    coverage[a]![i].keys.formUnion(keys)
                } else {
                    coverage[a, default: []].append(CoverageEntry(parameters: shape.parameters, withTx: withTx, keys: keys))
                }
            }
        }
    }

    private func add(_ d: SourceDatomColumns) throws {
        guard let e = d.e, let a = d.a, let v = d.v else { return }
        let aid = UInt32(truncatingIfNeeded: try interner.intern(a.text))
        let ev = try v.encoded(in: interner)
        let identity = DatomIdentity(e: e, a: aid, v: ev.word, tag: ev.tag.rawValue)
        if let i = positions[identity] {
            if let tx = d.tx, datoms[i].tx == Self.unknownTx { datoms[i].tx = tx; built = nil }
            return
        }
        positions[identity] = datoms.count
        datoms.append(Datom(e: e, v: ev.word, tx: d.tx ?? Self.unknownTx, a: aid, vTag: ev.tag.rawValue))
        built = nil
    }

    /// Datoms held.
    var count: Int { datoms.count }
}
