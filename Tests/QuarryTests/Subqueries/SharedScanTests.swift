@_spi(Core) @testable import Quarry
import Testing

/// The cache rule of a scan shared by decorrelated subqueries: rows
/// computed for some argument tuples serve any request among them, and a
/// request with a tuple they lack runs the scan again.
@Suite("Shared scans")
struct SharedScanTests {
    private func keys(_ values: [Int64]) throws -> RowBuffer {
        let rows = try RowBuffer(arity: 1)
        for v in values { try rows.appendRow { $0.set(0, EncodedValue(word: UInt64(bitPattern: v), tag: .int)) } }
        return rows
    }

    private func words(_ rows: RowBuffer) -> [UInt64] { (0..<rows.count).map { rows.word($0, 0) } }

    @Test func coveredRequestsReuseTheRowsAndOthersRunAgain() throws {
        // The "prefix plan" here hands back its input, so the rows are the tuples it ran over.
        let input = try RelationScan(RowBuffer(arity: 1), columns: ["?k"], label: "keys")
        let shared = SharedScan(input: input, plan: input, label: "test", account: nil)
        #expect(words(try shared.rows(for: try keys([1, 2]))) == [1, 2])
        #expect(words(try shared.rows(for: try keys([2]))) == [1, 2])
        #expect(shared.runs == 1)
        #expect(words(try shared.rows(for: try keys([2, 3]))) == [2, 3])
        #expect(shared.runs == 2)
        shared.invalidate()
        #expect(shared.byteCount == 0)
        _ = try shared.rows(for: try keys([2]))
        #expect(shared.runs == 3)
    }
}
