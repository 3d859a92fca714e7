import Testing
@_spi(Core) @testable import Quarry

@Suite("KeyRow in the core's dedup tables")
struct KeyRowTests {
    func key(_ columns: [(Int, UInt64, ValueTag)]) -> KeyRow {
        var k = KeyRow()
        for (c, w, t) in columns { k.set(c, word: w, tag: t.rawValue) }
        return k
    }

    @Test func aKeyRowIsTheSameRowAsOnePackedByTheCore() throws {
        let set = try DedupSet(arity: 4)
        let k = key([(0, 7, .int), (1, 3, .keyword), (2, 42, .string), (3, 9, .int)])
        #expect(try set.insert(k))
        // The same row packed from words and tags is found: the layouts agree byte for byte.
        var packed = try PackedRows(arity: 4, reservingCapacity: 2)
        try packed.append(words: [7, 3, 42, 9], tags: [.int, .keyword, .string, .int])
        try packed.append(words: [7, 3, 42, 9], tags: [.int, .keyword, .keyword, .int])
        #expect(set.firstIndex(of: packed, row: 0) == 0)
        #expect(set.firstIndex(of: packed, row: 1) == nil)
        #expect(set.keyRow(0) == k)
        #expect(set.keyRow(0).column(2) == (42, ValueTag.string.rawValue))
    }

    @Test func anUnsetColumnReadsAsZero() throws {
        let set = try DedupSet(arity: 4)
        let k = key([(0, 7, .int), (2, 42, .string)])
        #expect(try set.insert(k))
        #expect(set.keyRow(0) == k)
        #expect(set.keyRow(0).column(1) == (0, 0))
        #expect(set.keyRow(0).column(3) == (0, 0))
    }

    @Test func keysDifferingInOneWordOrTagAreDistinct() throws {
        let set = try DedupSet(arity: 4)
        let keys = [key([(0, 1, .int)]), key([(0, 2, .int)]), key([(0, 1, .ref)]), key([(3, 1, .int)]),
                    key([(0, 1, .int), (1, 5, .keyword)])]
        for k in keys { #expect(try set.insert(k)) }
        for k in keys {
            #expect(set.contains(k))
            #expect(try !set.insert(k))
        }
        #expect(set.count == keys.count)
        #expect(!set.contains(key([(0, 3, .int)])))
    }

    @Test func keepingColumnsZeroesTheOthers() {
        let k = key([(0, 9, .int), (2, 4, .double), (3, 1, .int)])
        #expect(k.keeping(columns: 0b0001) == key([(0, 9, .int)]))
        #expect(k.keeping(columns: 0b0101) == key([(0, 9, .int), (2, 4, .double)]))
        #expect(k.keeping(columns: 0b1111) == k)
        #expect(k.tags == UInt32(ValueTag.int.rawValue) | UInt32(ValueTag.double.rawValue) << 16
            | UInt32(ValueTag.int.rawValue) << 24)
    }
}
