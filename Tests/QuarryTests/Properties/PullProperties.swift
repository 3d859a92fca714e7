import Testing
@testable import Quarry

/// Pull on random databases against a reference computed from the facts
/// alone (never through the engine): forward and reverse attributes,
/// nested patterns, `:limit`, `:default` and `:db/id`, on dense and sparse
/// entity ids.
@Suite("Properties: pull")
struct PullProperties {
    /// The pattern elements drawn from, each with how the reference reads it.
    enum Element: CaseIterable {
        case num, one, dbl, str, ref, reverseRef, nestedRef, nestedReverse, limited, defaulted, id

        var text: String {
            switch self {
            case .num: ":t/num"
            case .one: ":t/one"
            case .dbl: ":t/dbl"
            case .str: ":t/str"
            case .ref: ":t/ref"
            case .reverseRef: ":t/_ref"
            case .nestedRef: "{:t/ref [:t/num :t/one]}"
            case .nestedReverse: "{:t/_ref [:t/str :db/id]}"
            case .limited: "[:t/str :limit 1]"
            case .defaulted: "[:t/one :default -1]"
            case .id: ":db/id"
            }
        }
    }

    @Test(arguments: 0..<60)
    func matchesTheReference(seed: UInt64) throws {
        var rng = SplitMix(seed: seed &* 6151 &+ 11)
        let random = RandomDatabase(using: &rng, facts: 0...30)
        let db = try Database.load(edn: random.transactionData)
        for _ in 0..<4 {
            // Keys must not repeat in a pattern: one of each chosen key.
            var chosen: [Element] = []
            for e in Element.allCases.shuffled(using: &rng) where rng.chance(0.4) {
                let key = Self.key(e)
                if !chosen.contains(where: { Self.key($0) == key }) { chosen.append(e) }
            }
            let pattern = "[" + chosen.map(\.text).joined(separator: " ") + "]"
            let entity = random.randomEntity(using: &rng)
            let pulled = try db.pull(pattern, entity: .int(entity))
            let expected = Self.reference(chosen, entity, random.facts)
            #expect(pulled == expected, "seed \(seed): \(pattern) of \(entity)\n\(random.transactionData)")
        }
    }

    private static func key(_ e: Element) -> String {
        switch e {
        case .ref, .nestedRef: ":t/ref"
        case .reverseRef, .nestedReverse: ":t/_ref"
        case .str, .limited: ":t/str"
        case .one, .defaulted: ":t/one"
        default: e.text
        }
    }

    private static func values(_ e: Int64, _ a: String, _ facts: [RandomDatabase.Fact]) -> [Value] {
        facts.filter { $0.e == .int(e) && $0.a == .keyword(Keyword(a)) }.map(\.v)
            .sorted { ValueOrder.totalCompare($0, $1) < 0 }
    }

    private static func referrers(_ e: Int64, _ facts: [RandomDatabase.Fact]) -> [Int64] {
        facts.filter { $0.a == .keyword(Keyword("t/ref")) && $0.v == .int(e) }
            .compactMap { if case .int(let f) = $0.e { f } else { nil } }.sorted()
    }

    /// The map pull should give, from the facts.
    static func reference(_ elements: [Element], _ e: Int64, _ facts: [RandomDatabase.Fact]) -> [Value: Value] {
        var out: [Value: Value] = [:]
        func k(_ s: String) -> Value { .keyword(Keyword(s)) }
        func many(_ vs: [Value]) -> Value? { vs.isEmpty ? nil : .tuple(vs) }
        func idMap(_ x: Int64) -> Value { .map([k("db/id"): .int(x)]) }
        func refs(_ x: Int64) -> [Int64] { values(x, "t/ref", facts).compactMap { if case .int(let r) = $0 { r } else { nil } } }
        for element in elements {
            switch element {
            case .num: out[k("t/num")] = many(values(e, "t/num", facts))
            case .dbl: out[k("t/dbl")] = many(values(e, "t/dbl", facts))
            case .str: out[k("t/str")] = many(values(e, "t/str", facts))
            case .limited: out[k("t/str")] = many(Array(values(e, "t/str", facts).prefix(1)))
            case .one: out[k("t/one")] = values(e, "t/one", facts).first
            case .defaulted: out[k("t/one")] = values(e, "t/one", facts).first ?? .int(-1)
            case .id: out[k("db/id")] = .int(e)
            case .ref: out[k("t/ref")] = many(refs(e).map(idMap))
            case .reverseRef: out[k("t/_ref")] = many(referrers(e, facts).map(idMap))
            case .nestedRef:
                out[k("t/ref")] = many(refs(e).map { r in
                    let inner = reference([.num, .one], r, facts)
                    return inner.isEmpty ? idMap(r) : .map(inner)
                })
            case .nestedReverse:
                out[k("t/_ref")] = many(referrers(e, facts).map { f in .map(reference([.str, .id], f, facts)) })
            }
        }
        return out
    }
}
