import XCTest
@_spi(Core) @testable import Quarry

/// Checks of the engine-wide figures. They must see no other test's
/// allocations, so they live in XCTest, whose cases `swift test` runs one
/// at a time in a pass of their own, apart from the parallel Swift Testing
/// suites.
final class EngineBaselineTests: XCTestCase {
    func testEngineBytesReturnToBaselineAfterManyObjects() throws {
        let before = MemoryStats.engine()
        for round in 0..<500 {
            let arena = try TupleArena(arity: 3)
            for i in 0..<(round * 4) { try arena.append(words: [UInt64(i), 2, 3], tags: [.int, .int, .int]) }
            let set = try DedupSet(arity: 3)
            let rows = try arena.rows(0..<arena.count)
            try set.insert(contentsOf: rows)
            XCTAssertGreaterThan(MemoryStats.engine().bytesNow, before.bytesNow)
        }
        let after = MemoryStats.engine()
        XCTAssertEqual(after.bytesNow, before.bytesNow)
        XCTAssertEqual(after.allocations - before.allocations, after.deallocations - before.deallocations)
        XCTAssertGreaterThan(after.bytesPeak, before.bytesNow)
    }

    func testJemallocSeesExactlyTheEngineBytes() throws {
        try XCTSkipUnless(MemoryStats.backend == "jemalloc", "system allocator build")
        let set = try DedupSet(arity: 3)
        var rows = try PackedRows(arity: 3)
        for i in 0..<100_000 { try rows.append(words: [UInt64(i), 1, 2], tag: .int) }
        try set.insert(contentsOf: rows)
        XCTAssertEqual(MemoryStats.process().engineArenaAllocated, MemoryStats.engine().bytesNow)
        XCTAssertNotNil(MemoryStats.arenaIndex)
    }

    func testPeakResetMeasuresOnePhase() throws {
        do {
            let set = try DedupSet(arity: 1)
            try set.reserve(1 << 16)
        }
        MemoryStats.resetPeak()
        let e = MemoryStats.engine()
        XCTAssertEqual(e.bytesPeak, e.bytesNow)
    }
}
