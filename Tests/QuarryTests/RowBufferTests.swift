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
}
