@_spi(Core) @testable import Quarry
import Testing

/// Grouping by one integer key column whose values lie close together
/// finds a key's rows by address, not by hashing; other keys (spread
/// thin, of another tag, past overflow) keep the hash table. Both answer
/// the same.
@Suite("Row groups")
struct RowGroupsTests {
    private func keys(_ values: [EncodedValue]) throws -> RowBuffer {
        let buffer = try RowBuffer(arity: 1)
        for v in values { try buffer.appendRow { $0.set(0, v) } }
        return buffer
    }

    private func int(_ i: Int64) -> EncodedValue { EncodedValue(word: UInt64(bitPattern: i), tag: .int) }

    /// For each probe key, the rows of its group, last first.
    private func matches(_ groups: RowGroups, _ probe: [EncodedValue]) throws -> [[Int]] {
        let found = try groups.probe(keys(probe), columns: [0])
        return (0..<probe.count).map { r in
            var rows: [Int] = []
            var s = Int(found[r])
            while s >= 0 {
                rows.append(s)
                s = groups.previous(s)
            }
            return rows
        }
    }

    @Test func closeIntegerKeysAreFoundByAddress() throws {
        let groups = try RowGroups(keyColumns: [0], account: nil)
        try groups.add(keys([int(5), int(7), int(5), int(-3), int(6)]))
        let text = EncodedValue(word: 5, tag: .string)
        let found = try matches(groups, [int(5), int(6), int(7), int(8), int(-3), int(-4), int(100), text,
                                         int(.max), int(.min)])
        #expect(groups.isDirectAddressed)
        #expect(found == [[2, 0], [4], [1], [], [3], [], [], [], [], []])
    }

    @Test func rowsAddedAfterAProbeAreFound() throws {
        let groups = try RowGroups(keyColumns: [0], account: nil)
        try groups.add(keys([int(1), int(2)]))
        #expect(try matches(groups, [int(3), int(1)]) == [[], [0]])
        try groups.add(keys([int(3), int(1)]))
        #expect(try matches(groups, [int(3), int(1), int(2)]) == [[2], [3, 0], [1]])
    }

    @Test func spreadOrMixedKeysKeepTheHashTable() throws {
        let extremes = try RowGroups(keyColumns: [0], account: nil)
        try extremes.add(keys([int(.min), int(.max), int(0)]))
        #expect(try matches(extremes, [int(.max), int(.min), int(0), int(1)]) == [[1], [0], [2], []])
        #expect(!extremes.isDirectAddressed)

        let sparse = try RowGroups(keyColumns: [0], account: nil)
        try sparse.add(keys([int(0), int(1_000_000)]))
        #expect(try matches(sparse, [int(1_000_000), int(500_000)]) == [[1], []])
        #expect(!sparse.isDirectAddressed)

        let mixed = try RowGroups(keyColumns: [0], account: nil)
        try mixed.add(keys([int(1), EncodedValue(word: 2, tag: .string)]))
        #expect(try matches(mixed, [int(2), EncodedValue(word: 2, tag: .string), int(1)]) == [[], [1], [0]])
        #expect(!mixed.isDirectAddressed)
    }
}
