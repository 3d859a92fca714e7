/// The random choices of the `rand` and `sample` aggregates: a SplitMix64
/// stream, seeded from ``QueryOptions/randomSeed`` so that tests can
/// repeat a run, from the system's generator otherwise. The workloads of
/// the benchmarks draw their data from it too.
@_spi(Core) public final class QueryRandom: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64?) {
        var system = SystemRandomNumberGenerator()
        state = seed ?? system.next()
    }

    public func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `n` of `values` drawn at random, a value possibly more than once.
    func draw<T>(_ n: Int, from values: [T]) -> [T] {
        guard !values.isEmpty else { return [] }
        var generator = self
        return (0..<n).map { _ in values[Int.random(in: 0..<values.count, using: &generator)] }
    }

    /// `n` of `values` (all when fewer) in random order, none twice.
    func sample<T>(_ n: Int, from values: [T]) -> [T] {
        var generator = self
        return Array(values.shuffled(using: &generator).prefix(n))
    }
}
