import Quarry

/// Times a closure and counts the allocations and bytes it makes, both the
/// engine's own (core counters) and the whole process's (jemalloc).
struct Measured {
    var seconds: Double
    var engineAllocations: UInt64
    var processAllocations: UInt64
}

func measure(_ body: () throws -> Void) rethrows -> Measured {
    let engine0 = MemoryStats.engine(), process0 = MemoryStats.process()
    let clock = ContinuousClock()
    let start = clock.now
    try body()
    let elapsed = clock.now - start
    let engine1 = MemoryStats.engine(), process1 = MemoryStats.process()
    let c = elapsed.components
    return Measured(seconds: Double(c.seconds) + Double(c.attoseconds) / 1e18,
                    engineAllocations: engine1.allocations - engine0.allocations,
                    processAllocations: process1.processAllocations &- process0.processAllocations)
}

/// A duration in milliseconds.
func milliseconds(_ d: Duration) -> Double {
    Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
}

/// The median of the values: robust to one disturbed repetition.
func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.isEmpty ? .nan : (s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2)
}
