@_spi(Core) @testable import Quarry

/// A deterministic random generator (SplitMix64), so failures reproduce.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// True with probability `p`.
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &self) < p }
}

/// A row as the reference model sees it.
struct ModelRow: Hashable {
    var words: [UInt64]
    var tags: [ValueTag]
}

/// Random rows drawn from a small domain so that duplicates are common.
func randomRows(arity: Int, count: Int, domain: UInt64, seed: UInt64) -> [ModelRow] {
    var rng = SplitMix(seed: seed)
    let tags: [ValueTag] = [.int, .ref, .string]
    return (0..<count).map { _ in
        ModelRow(words: (0..<arity).map { _ in rng.next() % domain },
                 tags: (0..<arity).map { _ in tags[Int(rng.next() % UInt64(tags.count))] })
    }
}

func pack(_ rows: [ModelRow], arity: Int) throws -> PackedRows {
    var packed = try PackedRows(arity: arity, reservingCapacity: rows.count)
    for r in rows { try packed.append(words: r.words, tags: r.tags) }
    return packed
}
