import Quarry
import QuarryReport

struct HashResult: Encodable {
    var bytes: Int
    /// A column of keys hashed in one core call: XXH3 inlined at this width.
    var nsPerHashInlined: Double
    /// One call per key from Swift into libxxhash's exported function.
    var nsPerHashPerCall: Double

    enum CodingKeys: String, CodingKey {
        case bytes, nsPerHashInlined = "ns_per_hash_inlined", nsPerHashPerCall = "ns_per_hash_per_call"
    }
}

/// XXH3 cost per key width.
struct HashBenchmark {
    var widths = [8, 16, 24, 32, 64]
    var keys = 1 << 16
    var rounds = 200

    func run() -> [HashResult] {
        widths.map { width in
            var rng = SplitMix64(seed: UInt64(width))
            let data = (0..<(width * keys)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            var sink: UInt64 = 0
            let inlined = median((0..<5).map { _ in
                measure { for r in 0..<rounds { sink &+= RowHash.hashKeys(data, width: width, count: keys, seed: UInt64(r))[r] } }.seconds
            })
            let slices = (0..<1024).map { Array(data[($0 * width)..<(($0 + 1) * width)]) }
            let perCall = median((0..<5).map { _ in
                measure { for r in 0..<(rounds * 8) { for s in slices { sink &+= RowHash.hash(bytes: s, seed: UInt64(r)) } } }.seconds
            })
            precondition(sink != 42, "keeps the hashes alive")
            return HashResult(bytes: width, nsPerHashInlined: inlined * 1e9 / Double(keys * rounds),
                              nsPerHashPerCall: perCall * 1e9 / Double(1024 * rounds * 8))
        }
    }

    static func table(_ results: [HashResult]) -> String {
        var t = Table(headers: ["XXH3 key bytes", "ns/hash (inlined column)", "ns/hash (one call each)"],
                      rightAligned: [0, 1, 2])
        for r in results {
            t.append(["\(r.bytes)", Format.fixed(r.nsPerHashInlined, 2), Format.fixed(r.nsPerHashPerCall, 2)])
        }
        return t.render()
    }
}
