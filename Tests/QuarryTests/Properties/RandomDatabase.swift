import Quarry

/// A small random database and the datoms it holds, kept as plain values so
/// the reference evaluator never goes through the engine.
struct RandomDatabase {
    /// One attribute of the random schema and the values it draws from.
    struct AttributeSpec: Sendable {
        let keyword: String
        let schema: String?
        let cardinalityOne: Bool
        /// Whether every value is a number (so `<` against an integer is meaningful).
        let numeric: Bool
        /// A random value, given a random entity id for references.
        let values: @Sendable (inout SplitMix, Int64) -> Value
    }

    static let attributes: [AttributeSpec] = [
        AttributeSpec(keyword: ":t/ref",
                      schema: "{:db/ident :t/ref :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}",
                      cardinalityOne: false, numeric: true,
                      values: { _, entity in .int(entity) }),
        AttributeSpec(keyword: ":t/num", schema: "{:db/ident :t/num :db/cardinality :db.cardinality/many}",
                      cardinalityOne: false, numeric: true,
                      values: { rng, _ in .int(Int64.random(in: 0...5, using: &rng)) }),
        AttributeSpec(keyword: ":t/one", schema: nil, cardinalityOne: true, numeric: true,
                      values: { rng, _ in .int(Int64.random(in: 0...5, using: &rng)) }),
        AttributeSpec(keyword: ":t/dbl",
                      schema: "{:db/ident :t/dbl :db/valueType :db.type/double :db/cardinality :db.cardinality/many}",
                      cardinalityOne: false, numeric: true,
                      values: { rng, _ in .double([0.5, 1.0, 2.0, 3.5].randomElement(using: &rng)!) }),
        AttributeSpec(keyword: ":t/str", schema: "{:db/ident :t/str :db/cardinality :db.cardinality/many}",
                      cardinalityOne: false, numeric: false,
                      values: { rng, _ in .string(["a", "b", "c"].randomElement(using: &rng)!) }),
    ]

    struct Fact: Hashable {
        let e: Value
        let a: Value
        let v: Value
        let tx: Value
    }

    let entities: Int
    /// Entity ids are multiples of this: 1 for dense ids, large for ids
    /// too sparse for the store's per-entity offsets.
    let entityScale: Int64
    let facts: [Fact]
    let transactionData: String

    /// - Parameter facts: how many assertions to draw (duplicates are dropped).
    init(using rng: inout SplitMix, facts factRange: ClosedRange<Int> = 0...20) {
        entities = Int.random(in: 2...6, using: &rng)
        entityScale = rng.chance(0.3) ? 100_003 : 1
        let count = Int.random(in: factRange, using: &rng)
        var facts: [Fact] = []
        var seen = Set<Fact>()
        var singles = Set<[Value]>()
        let tx = Value.int(Database.firstTx)
        for _ in 0..<count {
            let spec = Self.attributes.randomElement(using: &rng)!
            let e = Value.int(Self.randomEntity(entities, entityScale, using: &rng))
            let a = Value.keyword(Keyword(spec.keyword))
            // One value per entity for a cardinality-one attribute: a second
            // assertion in the same transaction would be a conflict, not a replacement.
            if spec.cardinalityOne, !singles.insert([e, a]).inserted { continue }
            let fact = Fact(e: e, a: a, v: spec.values(&rng, Self.randomEntity(entities, entityScale, using: &rng)), tx: tx)
            if seen.insert(fact).inserted { facts.append(fact) }
        }
        self.facts = facts
        let schema = Self.attributes.compactMap(\.schema)
        let adds = facts.map { f in
            "[:db/add \(EDNWriter.write(f.e)) \(EDNWriter.write(f.a)) \(EDNWriter.write(f.v))]"
        }
        transactionData = "[" + (schema + adds).joined(separator: "\n ") + "]"
    }

    /// One of the entity ids the database may use.
    func randomEntity(using rng: inout SplitMix) -> Int64 {
        Self.randomEntity(entities, entityScale, using: &rng)
    }

    private static func randomEntity(_ entities: Int, _ scale: Int64, using rng: inout SplitMix) -> Int64 {
        Int64.random(in: 1...Int64(entities), using: &rng) * scale
    }
}
