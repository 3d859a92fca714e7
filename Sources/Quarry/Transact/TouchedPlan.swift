/// The part of a store one transaction can read or change, found in three
/// rounds of reads, each one batch a store can send at once:
///
/// 1. the idents the transaction names (``idents``; every ident when it
///    declares an attribute, since a new attribute's entity is allocated
///    below all of them);
/// 2. the holders of the values its lookup refs and unique-identity
///    upserts name (``probes``), keyword values of reference attributes
///    resolved through round 1;
/// 3. every datom of the entities it names, found by id or by the rounds
///    before (``entities``), and the references to the entities it
///    retracts (its `retracted`).
///
/// The in-memory transactor run over the datoms read (``datoms``) makes the
/// same changes as over the whole store: it never reads a datom outside
/// them. A store calls the rounds in order, handing each one's datoms to
/// ``found(_:)``.
@_spi(Stores) public struct TouchedPlan: Sendable {
    /// A value probe: the datoms of `attribute` holding `value`, as stored.
    public struct Probe: Hashable, Sendable {
        public let attribute: Keyword
        public let value: Value
    }

    private enum Lookup {
        case ident(Keyword)
        case allIdents
        case holders(Keyword, Value)
    }

    private let ops: [TxOp]
    private let schema: [Keyword: Attribute]
    /// Every datom read so far.
    public private(set) var datoms: Set<SourceDatom> = []
    private var identHolders: [Keyword: [Int64]] = [:]
    private var valueHolders: [Probe: [Int64]] = [:]

    /// The plan of `data` against the stored `attributes` and those the
    /// data declares.
    public init(data: EDN, attributes: [Attribute]) throws {
        try data.checkDepth(what: "the transaction data")
        let interner = try Interner()
        var parser = TxParser(schema: try Schema(attributes, interner: interner)) { (k: Keyword) throws(CoreError) -> UInt32 in
            UInt32(truncatingIfNeeded: try interner.intern(k.text))
        }
        ops = try parser.parse(data)
        var schema: [Keyword: Attribute] = [:]
        for a in parser.schema.attributes { schema[a.ident] = a }
        self.schema = schema
    }

    /// Round 1: the idents to read (the `:db/ident` datoms holding them),
    /// and whether every ident must be read instead.
    public var idents: (keywords: Set<Keyword>, all: Bool) {
        var keywords: Set<Keyword> = [], all = false
        _ = walk { lookup in
            switch lookup {
            case .ident(let k): keywords.insert(k)
            case .allIdents: all = true
            case .holders: break
            }
            return []
        }
        return (keywords, all)
    }

    /// Round 2: the values whose holders must be read.
    public var probes: Set<Probe> {
        var probes: Set<Probe> = []
        _ = walk { lookup in
            switch lookup {
            case .ident(let k): return identHolders[k] ?? []
            case .allIdents: return []
            case .holders(let a, let v):
                probes.insert(Probe(attribute: a, value: v))
                return []
            }
        }
        return probes
    }

    /// Round 3: the entities whose datoms must all be read, and of those,
    /// the ones whose references must be read too.
    public var entities: (all: Set<Int64>, retracted: Set<Int64>) {
        walk { lookup in
            switch lookup {
            case .ident(let k): identHolders[k] ?? []
            case .allIdents: []
            case .holders(let a, let v): valueHolders[Probe(attribute: a, value: v)] ?? []
            }
        }
    }

    /// The datoms a round read: kept, and the holders they show noted for
    /// the next rounds.
    public mutating func found(_ read: some Sequence<SourceDatom>) {
        for d in read where datoms.insert(d).inserted {
            if d.a.text == "db/ident", case .keyword(let k) = d.v { identHolders[k, default: []].append(d.e) }
            valueHolders[Probe(attribute: d.a, value: Self.stored(d.v)), default: []].append(d.e)
        }
    }

    /// A reference as the stores hand it back: an integer.
    private static func stored(_ v: Value) -> Value {
        if case .ref(let e) = v { return .int(e) }
        return v
    }

    /// Walks the operations, looking up what each names with `find`: the
    /// entities they touch and those they retract.
    private func walk(_ find: (Lookup) -> [Int64]) -> (all: Set<Int64>, retracted: Set<Int64>) {
        var entities: Set<Int64> = [], retracted: Set<Int64> = []
        for op in ops {
            let targets = resolve(op.entity, find)
            entities.formUnion(targets)
            if op.kind == .retractEntity { retracted.formUnion(targets) }
            switch op.value {
            case .entity(let ref):
                _ = resolve(ref, find)
            case .value(let v):
                let attribute = schema[op.attribute]
                if attribute?.valueType == .ref, case .keyword(let k) = v { _ = find(.ident(k)) }
                if op.kind == .add, case .tempid = op.entity, attribute?.unique == .identity {
                    entities.formUnion(holders(of: op.attribute, v, find))
                }
            case .none:
                break
            }
        }
        return (entities, retracted)
    }

    /// The entities `ref` names.
    private func resolve(_ ref: EntityRef, _ find: (Lookup) -> [Int64]) -> [Int64] {
        switch ref {
        case .id(let e): return [e]
        case .tempid: return []
        case .ident(let k): return find(.ident(k))
        case .attribute(let k):
            _ = find(.allIdents)
            return find(.ident(k))
        case .lookup(let a, let form):
            guard let value = Value(edn: form) else { return [] }
            return holders(of: a, value, find)
        }
    }

    /// The entities holding `value` for `a`, as the transactor stores it
    /// (coerced to the attribute's type; a keyword of a reference
    /// attribute names an entity by its ident).
    private func holders(of a: Keyword, _ value: Value, _ find: (Lookup) -> [Int64]) -> [Int64] {
        guard let type = schema[a]?.valueType else { return find(.holders(a, Self.stored(value))) }
        if type == .ref, case .keyword(let k) = value {
            return find(.ident(k)).flatMap { find(.holders(a, .int($0))) }
        }
        return find(.holders(a, Self.stored(type.coerce(value))))
    }
}
