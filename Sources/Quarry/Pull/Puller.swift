/// Evaluates pull patterns against one database.
///
/// A pulled value nests at most ``EDN/maxDepth`` levels (so that every
/// writer can print it and no walk of it runs deep), and one pull visits
/// at most ``maxEntities`` entities: recursion over a graph with many
/// paths to the same entities is checked, not left to exhaust memory.
struct Puller {
    let db: Database
    /// Entities pulled so far, against ``maxEntities``.
    private var visited = 0
    static let maxEntities = 100_000
    private static let wildcard = PullPattern(wildcardOnly: ())

    init(_ db: Database) { self.db = db }

    /// The entity's map: `{}` when the pattern finds nothing.
    mutating func pull(_ pattern: PullPattern, _ e: Int64) throws -> [Value: Value] {
        try pull(pattern, e, nesting: 1, depths: [:], path: [])
    }

    /// The entity a pull names: an id, an ident keyword or a lookup ref
    /// `[:unique/attr value]`; nil when no entity has it.
    func entity(_ named: Value) throws -> Int64? {
        switch named {
        case .int(let e), .ref(let e): return e
        case .keyword(let ident):
            guard let a = db.attributeID(Keyword("db/ident")), let k = db.attributeID(ident) else { return nil }
            return db.entity(withValue: EncodedValue(word: UInt64(k), tag: .keyword), of: a)
        case .tuple(let items) where items.count == 2:
            guard case .keyword(let attr) = items[0] else { break }
            if attr.text == "db/ident", case .keyword = items[1] { return try entity(items[1]) }
            guard let a = db.attributeID(attr), db.attribute(a)?.unique != nil else {
                throw QueryError("lookup ref attribute \(attr) is not :db/unique")
            }
            // Encoded without touching the database's interner: a value it lacks names no entity.
            let word = try ValueSpace(primary: db.interner, account: nil).encode(items[1])
            if word.word & ValueSpace.localBit != 0 && [.string, .keyword, .uuid, .tuple, .map].contains(word.tag) {
                return nil
            }
            return db.entity(withValue: word, of: a)
        default: break
        }
        throw QueryError("pull needs an entity id, an ident or a lookup ref, found \(EDNWriter.write(named))")
    }

    /// `depths`: recursion left per recursive spec (by its key); `path`:
    /// the entities being pulled above this one, where `...` stops.
    private mutating func pull(_ pattern: PullPattern, _ e: Int64, nesting: Int, depths: [Value: Int],
                               path: Set<Int64>) throws -> [Value: Value] {
        guard nesting <= EDN.maxDepth else {
            throw QueryError("the pulled value nests deeper than \(EDN.maxDepth) levels; give the recursion a depth, as {:attr 10}")
        }
        visited += 1
        guard visited <= Self.maxEntities else {
            throw QueryError("the pull visits more than \(Self.maxEntities) entities; bound its recursion")
        }
        if visited & 1023 == 0 { try QueryInterrupt.current?.check() }
        var out: [Value: Value] = [:]
        let path = path.union([e])
        if pattern.wildcard { try pullAll(e, into: &out, except: pattern.specs, nesting: nesting, path: path) }
        for spec in pattern.specs {
            if spec.isEntityID {
                out[spec.key] = .int(e)
                continue
            }
            guard let a = db.attributeID(spec.attribute) else {
                if let d = spec.defaultValue { out[spec.key] = d }
                continue
            }
            let attribute = db.attribute(a)
            var raw = spec.reverse ? referrers(of: e, through: a) : values(of: e, a)
            if let limit = spec.limit, raw.count > limit { raw.removeLast(raw.count - limit) }
            guard !raw.isEmpty else {
                if let d = spec.defaultValue { out[spec.key] = d }
                continue
            }
            var pulled: [Value] = []
            pulled.reserveCapacity(raw.count)
            var skip = false
            for v in raw {
                switch spec.nested {
                case .none:
                    pulled.append(try plain(v, attribute, reverse: spec.reverse, nesting: nesting, path: path))
                case .pattern(let sub):
                    pulled.append(try referenced(v, with: sub, nesting: nesting, depths: depths, path: path))
                case .recurse(let depth):
                    let left = depths[spec.key] ?? depth
                    if left == 0 {
                        skip = true
                        continue
                    }
                    if case .int(let r) = v, path.contains(r) {
                        pulled.append(.map([Self.idKey: .int(r)]))
                        continue
                    }
                    var deeper = depths
                    deeper[spec.key] = left.map { $0 - 1 }
                    pulled.append(try referenced(v, with: pattern, nesting: nesting, depths: deeper, path: path))
                }
            }
            if skip && pulled.isEmpty { continue }
            out[spec.key] = Self.isMany(attribute, reverse: spec.reverse) ? .tuple(pulled) : pulled[0]
        }
        return out
    }

    static let idKey = Value.keyword(Keyword("db/id"))

    /// Every attribute of `e` that no explicit spec names, as `*` reads them.
    private mutating func pullAll(_ e: Int64, into out: inout [Value: Value], except specs: [PullSpec], nesting: Int,
                                  path: Set<Int64>) throws {
        out[Self.idKey] = .int(e)
        let named = Set(specs.filter { !$0.reverse }.map(\.attribute))
        var groups: [(UInt32, [Value])] = []
        db.scan(DatomFilter(e: e)) { d in
            guard let v = Value(d.value, interner: db.interner) else { return }
            if groups.last?.0 == d.a { groups[groups.count - 1].1.append(v) } else { groups.append((d.a, [v])) }
        }
        for (a, values) in groups {
            let ident = db.ident(a)
            if named.contains(ident) { continue }
            let attribute = db.attribute(a)
            var pulled: [Value] = []
            for v in Self.inValueOrder(values) {
                pulled.append(try plain(v, attribute, reverse: false, nesting: nesting, path: path))
            }
            out[.keyword(ident)] = Self.isMany(attribute, reverse: false) ? .tuple(pulled) : pulled[0]
        }
    }

    /// A value with no nested pattern: a ref as `{:db/id e}`, a component
    /// pulled whole, anything else as itself.
    private mutating func plain(_ v: Value, _ attribute: Attribute?, reverse: Bool, nesting: Int,
                                path: Set<Int64>) throws -> Value {
        guard reverse || attribute?.isRef == true, case .int(let r) = v else { return v }
        if !reverse, attribute?.isComponent == true, !path.contains(r) {
            return .map(try pull(Self.wildcard, r, nesting: nesting + 2, depths: [:], path: path))
        }
        return .map([Self.idKey: .int(r)])
    }

    /// A referenced entity pulled with `pattern`; `{:db/id e}` when the
    /// pattern finds nothing, so the reference is not lost.
    private mutating func referenced(_ v: Value, with pattern: PullPattern, nesting: Int, depths: [Value: Int],
                                     path: Set<Int64>) throws -> Value {
        guard case .int(let r) = v else { return v }
        let m = try pull(pattern, r, nesting: nesting + 2, depths: depths, path: path)
        return .map(m.isEmpty ? [Self.idKey: .int(r)] : m)
    }

    /// The values of `e`'s attribute `a`, in value order (Clojure's
    /// `compare`), not the order their strings were interned in: what
    /// `:limit` keeps does not depend on it.
    func values(of e: Int64, _ a: UInt32) -> [Value] {
        var out: [Value] = []
        db.scan(DatomFilter(e: e, a: a)) { d in if let v = Value(d.value, interner: db.interner) { out.append(v) } }
        return Self.inValueOrder(out)
    }

    static func inValueOrder(_ values: [Value]) -> [Value] {
        values.count > 1 ? values.sorted { ValueOrder.totalCompare($0, $1) < 0 } : values
    }

    /// Whether an attribute's values come as a vector: a cardinality-many
    /// attribute's, and a reverse reference's unless it is a component
    /// (an entity is the component of one owner at most).
    static func isMany(_ attribute: Attribute?, reverse: Bool) -> Bool {
        reverse ? attribute?.isComponent != true : attribute?.cardinalityMany == true
    }

    /// The entities whose attribute `a` holds a reference to `e`.
    func referrers(of e: Int64, through a: UInt32) -> [Value] {
        var out: [Value] = []
        db.scan(DatomFilter(a: a, v: EncodedValue(word: UInt64(bitPattern: e), tag: .int))) { d in out.append(.int(d.e)) }
        return out
    }
}

extension PullPattern {
    /// `[*]`.
    init(wildcardOnly: Void) {
        wildcard = true
    }
}
