import QuarryReport

/// One of the targets, with what this run measured.
struct TargetCheck: Encodable {
    var target: String
    var measured: String
    var met: Bool

    static func evaluate(dedup: [DedupResult], hashes: [HashResult]) -> [TargetCheck] {
        func ns(_ n: Int, _ v: DedupVariant) -> Double? {
            dedup.first { $0.insertions == n && $0.duplicatePercent == 50 && $0.variant == v }?.nsPerTuple
        }
        var checks: [TargetCheck] = []
        func limit(_ what: String, _ value: Double?, _ max: Double) {
            guard let value else { return }
            checks.append(TargetCheck(target: "\(what) <= \(Format.fixed(max, 0)) ns", measured: Format.fixed(value, 1) + " ns",
                                      met: value <= max))
        }
        limit("1K, 50% dup, ns/tuple", ns(1_000, .coreBatch), 8)
        limit("1M, 50% dup, ns/tuple", ns(1_000_000, .coreBatch), 30)
        limit("1M, 50% dup, reserved, ns/tuple", ns(1_000_000, .coreReserved), 30)
        // The default table, and the reserved one against the reserved Set
        // (both told the size up front).
        for (variant, label) in [(DedupVariant.coreBatch, ""), (.coreReserved, ", reserved core")] {
            guard let core = ns(1_000_000, variant), let set = ns(1_000_000, .swiftSetReserved) else { continue }
            checks.append(TargetCheck(target: "1M, 50% dup\(label), throughput >= 5x reserved Swift Set",
                                      measured: Format.fixed(set / core, 2) + "x", met: set / core >= 5))
        }
        limit("10M, 50% dup, ns/tuple", ns(10_000_000, .coreBatch), 45)
        limit("10M, 50% dup, huge pages, ns/tuple", ns(10_000_000, .coreHugePages), 36)
        if let h = hashes.first(where: { $0.bytes == 24 }) { limit("XXH3 on 24 bytes", h.nsPerHash, 4) }
        return checks
    }

    static func table(_ checks: [TargetCheck]) -> String {
        var t = Table(headers: ["target", "measured", "met"], rightAligned: [1])
        for c in checks { t.append([c.target, c.measured, c.met ? "yes" : "NO"]) }
        return t.render()
    }
}
