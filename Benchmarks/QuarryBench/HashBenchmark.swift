@_spi(Core) import Quarry
import QuarryReport

struct HashResult: Encodable {
    var bytes: Int
    /// A column of keys hashed in one core call: XXH3 inlined at this width.
    var nsPerHash: Double

    enum CodingKeys: String, CodingKey { case bytes, nsPerHash = "ns_per_hash" }
}

/// XXH3 cost per key width: a column of 64K random keys hashed by one core
/// call, so the figure is XXH3's own cost with the width known at compile
/// time, not the cost of a call from Swift.
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
                measure { for r in 0..<rounds { sink &+= (try? RowHash.hashKeys(data, width: width, count: keys, seed: UInt64(r)))?[r] ?? 0 } }.seconds
            })
            precondition(sink != 42, "keeps the hashes alive")
            return HashResult(bytes: width, nsPerHash: inlined * 1e9 / Double(keys * rounds))
        }
    }

    static func table(_ results: [HashResult]) -> String {
        var t = Table(headers: ["XXH3 key bytes", "ns/hash"], rightAligned: [0, 1])
        for r in results { t.append(["\(r.bytes)", Format.fixed(r.nsPerHash, 2)]) }
        return t.render()
    }
}
