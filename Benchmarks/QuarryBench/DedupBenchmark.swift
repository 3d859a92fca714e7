import ArgumentParser
@_spi(Testing) @_spi(Core) import Quarry

/// One way of deduplicating the workload.
enum DedupVariant: String, CaseIterable, Encodable, ExpressibleByArgument {
    case coreBatch = "core"
    case coreReserved = "core-reserved"
    case coreGrowing = "core-growing"
    case corePipeline = "core-pipeline"
    case coreNoPrefetch = "core-no-prefetch"
    case coreHugePages = "core-huge-pages"
    case swiftSetReserved = "set-reserved"
    case swiftSetGrowing = "set-growing"

    var isCore: Bool { self != .swiftSetReserved && self != .swiftSetGrowing }

    var title: String {
        switch self {
        case .coreBatch: "core batch"
        case .coreReserved: "core batch, reserved"
        case .coreGrowing: "core batch, grows (no presize)"
        case .corePipeline: "core batch, prefetch pipeline only"
        case .coreNoPrefetch: "core no prefetch"
        case .coreHugePages: "core batch, huge pages"
        case .swiftSetReserved: "Swift Set, reserved"
        case .swiftSetGrowing: "Swift Set, growing"
        }
    }
}

/// What one variant measured on one workload.
struct DedupResult: Encodable {
    var insertions: Int
    var duplicatePercent: Int
    var distinct: Int
    var variant: DedupVariant
    var nsPerTuple: Double
    var millionTuplesPerSecond: Double
    var bytesPerDistinct: Double
    /// Allocations of one run: the core's own counter for core variants,
    /// jemalloc's process-wide count for Swift's Set.
    var allocations: UInt64
    var repetitions: Int

    enum CodingKeys: String, CodingKey {
        case insertions, duplicatePercent = "duplicate_percent", distinct, variant
        case nsPerTuple = "ns_per_tuple", millionTuplesPerSecond = "mtuples_per_s"
        case bytesPerDistinct = "bytes_per_distinct", allocations, repetitions
    }
}

/// Runs every variant on a workload. Small workloads are repeated on a
/// cleared table (cache-resident steady state); large ones build a fresh
/// table each repetition and report the median.
struct DedupBenchmark {
    let workload: DedupWorkload
    let repetitions: Int

    /// Rounds for a workload of this size: about 4M insertions in all for
    /// small workloads, `repetitions` fresh builds for large ones.
    var rounds: Int { workload.insertions <= 100_000 ? max(1, 4_000_000 / workload.insertions) : 1 }

    /// Measures `variants` with their repetitions interleaved, so that a
    /// slow phase of the machine weighs on every variant alike.
    func run(_ variants: [DedupVariant]) throws -> [DedupResult] {
        var times = [[Double]](repeating: [], count: variants.count)
        var bytes = [Double](repeating: 0, count: variants.count)
        var allocations = [UInt64](repeating: 0, count: variants.count)
        var scratch = workload.insertions > 100_000 ? CacheScratch() : nil
        for _ in 0..<repetitions {
            for (k, variant) in variants.enumerated() {
                scratch?.evict()
                let (seconds, held, allocs) = try variant.isCore ? runCore(variant) : runSwiftSet(variant)
                times[k].append(seconds)
                (bytes[k], allocations[k]) = (held, allocs)
            }
        }
        return variants.indices.map { k in
            let ns = median(times[k]) * 1e9 / Double(workload.insertions * rounds)
            return DedupResult(insertions: workload.insertions, duplicatePercent: workload.duplicatePercent,
                               distinct: workload.distinct, variant: variants[k], nsPerTuple: ns,
                               millionTuplesPerSecond: 1e3 / ns,
                               bytesPerDistinct: bytes[k] / Double(workload.distinct),
                               allocations: allocations[k], repetitions: repetitions)
        }
    }

    private func runCore(_ variant: DedupVariant) throws -> (Double, Double, UInt64) {
        var switches: DedupSet.Switches = []
        if variant == .coreGrowing { switches.insert(.noPresize) }
        if variant == .corePipeline { switches.insert(.noPartition) }
        let set = try DedupSet(arity: 3, hugePages: variant == .coreHugePages, switches: switches)
        if variant == .coreReserved { try set.reserve(workload.distinct, includingStorage: true) }
        var fresh = 0
        let m = try measure {
            for round in 0..<rounds {
                if round > 0 { set.removeAll() }
                fresh = try set.insert(contentsOf: workload.packed, prefetch: variant != .coreNoPrefetch)
            }
        }
        precondition(fresh == workload.distinct && set.count == workload.distinct, "dedup miscounted")
        return (m.seconds, Double(set.byteCount), m.engineAllocations / UInt64(rounds))
    }

    private func runSwiftSet(_ variant: DedupVariant) throws -> (Double, Double, UInt64) {
        let before = MemoryStats.process()
        var set = variant == .swiftSetReserved ? Set<Key3>(minimumCapacity: workload.distinct) : Set<Key3>()
        let keys = workload.keys
        let m = measure {
            for round in 0..<rounds {
                if round > 0 { set.removeAll(keepingCapacity: true) }
                for k in keys { set.insert(k) }
            }
        }
        let after = MemoryStats.process()
        precondition(set.count == workload.distinct, "Set miscounted")
        let held = Double((after.threadAllocated &- before.threadAllocated) &-
                          (after.threadDeallocated &- before.threadDeallocated))
        return (m.seconds, held, m.processAllocations / UInt64(rounds))
    }
}

/// Memory written over before each large run, so that every variant starts
/// from caches holding none of the workload and none of the last variant's
/// tables. Without it a core run after a Swift `Set` run measured 10 ns a
/// row slower than one after another core run.
struct CacheScratch {
    private var bytes = [UInt64](repeating: 0, count: 64 << 17) // 64 MiB

    mutating func evict() {
        bytes.withUnsafeMutableBufferPointer { b in
            for i in stride(from: 0, to: b.count, by: 8) { b[i] &+= 1 }
        }
    }
}
