@_spi(Core) @testable import Quarry
import Testing

/// The batch helpers grouping leans on: where runs of equal keys start, and
/// the projection of chosen rows.
@Suite("Row buffers")
struct RowBufferTests {
    private func rows(_ values: [(UInt64, ValueTag, UInt64)]) throws -> RowBuffer {
        let buffer = try RowBuffer(arity: 2)
        for (key, tag, other) in values {
            try buffer.appendRow { w in
                w.set(0, word: key, tag: tag.rawValue)
                w.set(1, word: other, tag: ValueTag.int.rawValue)
            }
        }
        return buffer
    }

    @Test func runsStartWhereTheChosenColumnsChangeWordOrTag() throws {
        let b = try rows([(1, .int, 9), (1, .int, 8), (1, .ref, 8), (2, .ref, 8), (2, .ref, 7), (1, .int, 7)])
        var starts: [Int] = []
        b.appendRunStarts(columns: [0], to: &starts)
        #expect(starts == [0, 2, 3, 5])
        starts = []
        b.appendRunStarts(columns: [1], to: &starts)
        #expect(starts == [0, 1, 4])
        starts = []
        try RowBuffer(arity: 2).appendRunStarts(columns: [0], to: &starts)
        #expect(starts.isEmpty)
    }

    @Test func projectsTheListedRowsInOrder() throws {
        let b = try rows([(1, .int, 9), (2, .ref, 8), (3, .int, 7)])
        let keys = try RowBuffer(arity: 1)
        try keys.append(columns: [0], of: b, rowList: [2, 0])
        #expect(keys.count == 2)
        #expect(keys.value(0, 0) == EncodedValue(word: 3, tag: .int))
        #expect(keys.value(1, 0) == EncodedValue(word: 1, tag: .int))
        try keys.append(columns: [1], of: b, rows: 1..<2)
        #expect(keys.value(2, 0) == EncodedValue(word: 8, tag: .int))
    }

    /// A hash join's batch: each probe row widened by the chosen columns of
    /// each stored row it matches (none, one, or a chain), in order, with
    /// the tag padding zeroed as a row written one at a time would have it.
    @Test func joinedRowsWidenEachProbeRowByEachMatch() throws {
        let probe = try rows([(1, .int, 10), (2, .ref, 20), (3, .int, 30)])
        let stored = try rows([(7, .int, 70), (8, .ref, 80), (9, .int, 90)])
        // Row 0 matches stored 2 then 0; row 1 nothing; row 2 stored 1.
        let first = try CoreVector<Int64>(copying: [2, -1, 1])
        let chain = [-1, -1, 0]
        let out = try RowBuffer(arity: 3)
        try out.appendJoined(probe, first: first, next: { chain[$0] }, stored: stored, columns: [0])
        #expect(out.count == 3)
        let expected: [[EncodedValue]] = [
            [.init(word: 1, tag: .int), .init(word: 10, tag: .int), .init(word: 9, tag: .int)],
            [.init(word: 1, tag: .int), .init(word: 10, tag: .int), .init(word: 7, tag: .int)],
            [.init(word: 3, tag: .int), .init(word: 30, tag: .int), .init(word: 8, tag: .ref)],
        ]
        for r in 0..<3 { #expect((0..<3).map { out.value(r, $0) } == expected[r], "row \(r)") }
        // The same rows written one at a time have the same bytes (the dedup table hashes them).
        let one = try RowBuffer(arity: 3)
        for row in expected { try one.appendRow { w in for (c, v) in row.enumerated() { w.set(c, v) } } }
        for r in 0..<3 {
            #expect(Array(UnsafeRawBufferPointer(start: out.rowPointer(r), count: out.stride))
                    == Array(UnsafeRawBufferPointer(start: one.rowPointer(r), count: one.stride)))
        }
        // Sides without columns of their own: only the count of matches, or only the stored values.
        let unit = try RowBuffer(arity: 0)
        try unit.appendRow { _ in }
        let none = try RowBuffer(arity: 0)
        try none.appendJoined(unit, first: try CoreVector<Int64>(copying: [2]), next: { chain[$0] }, stored: stored,
                              columns: [])
        #expect(none.count == 2)
        let values = try RowBuffer(arity: 1)
        try values.appendJoined(unit, first: try CoreVector<Int64>(copying: [1]), next: { _ in -1 }, stored: stored,
                                columns: [1])
        #expect(values.count == 1 && values.value(0, 0) == EncodedValue(word: 80, tag: .int))
    }
}
