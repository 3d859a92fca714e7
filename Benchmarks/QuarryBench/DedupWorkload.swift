@_spi(Core) import Quarry

/// The dedup benchmark's input: `insertions` arity-3 Int64 rows in which a
/// `duplicatePercent` share repeats an earlier row. Every distinct row
/// occurs insertions/distinct times, in shuffled order.
struct DedupWorkload {
    let insertions: Int
    let duplicatePercent: Int
    let distinct: Int
    /// The rows for the core, packed.
    let packed: PackedRows
    /// The same rows for Swift's Set.
    let keys: [Key3]

    init(insertions: Int, duplicatePercent: Int, seed: UInt64 = 0x5EED) throws {
        self.insertions = insertions
        self.duplicatePercent = duplicatePercent
        let distinct = max(1, insertions * (100 - duplicatePercent) / 100)
        self.distinct = distinct
        var rng = SplitMix64(seed: seed)
        var order = (0..<insertions).map { $0 % distinct }
        order.shuffle(using: &rng)
        var packed = try PackedRows(arity: 3, reservingCapacity: insertions)
        var keys: [Key3] = []
        keys.reserveCapacity(insertions)
        for k in order {
            // The third column makes rows distinct; the first two look random.
            let key = Key3(a: Int64(bitPattern: mix(UInt64(k))), b: Int64(bitPattern: mix(UInt64(k) ^ 0xABCD)),
                           c: Int64(k))
            try packed.append(words: [UInt64(bitPattern: key.a), UInt64(bitPattern: key.b), UInt64(bitPattern: key.c)],
                          tag: .int)
            keys.append(key)
        }
        self.packed = packed
        self.keys = keys
    }
}

/// The struct key Swift's Set hashes: the same three Int64 columns.
struct Key3: Hashable {
    var a: Int64
    var b: Int64
    var c: Int64
}

func mix(_ x: UInt64) -> UInt64 {
    var z = x &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return mix(state)
    }
}
