import Testing
import QuarryCore
@_spi(Core) @testable import Quarry

@Suite("Row hashing")
struct RowHashTests {
    @Test("inlined row hashes equal the library's XXH3 over the row bytes", arguments: Array(1...12) + [64])
    func inlineMatchesLibrary(arity: Int) throws {
        let packed = try pack(randomRows(arity: arity, count: 50, domain: 1 << 40, seed: 1), arity: arity)
        let all = RowHash.hashAll(packed)
        for i in 0..<packed.count {
            let bytes = packed.withRow(i) { Array(UnsafeRawBufferPointer(start: $0, count: packed.wordsPerRow * 8)) }
            #expect(RowHash.hash(packed, row: i) == RowHash.hash(bytes: bytes, seed: DedupSet.defaultSeed))
            #expect(all[i] == RowHash.hash(packed, row: i))
        }
    }

    @Test("the seed and the tags change the hash")
    func seedAndTags() throws {
        var a = try PackedRows(arity: 2)
        try a.append(words: [1, 2], tags: [.int, .int])
        try a.append(words: [1, 2], tags: [.int, .ref])
        #expect(RowHash.hash(a, row: 0) != RowHash.hash(a, row: 1))
        #expect(RowHash.hash(a, row: 0, seed: 1) != RowHash.hash(a, row: 0, seed: 2))
    }

    @Test("the C API directly: strides, padding and status names")
    func cApi() {
        #expect(qc_row_stride(0) == 0)
        #expect(qc_row_stride(1) == 16)
        #expect(qc_row_stride(3) == 32)
        #expect(qc_row_stride(8) == 72)
        #expect(qc_row_stride(9) == 88)
        #expect(qc_row_stride(64) == 576)
        #expect(qc_row_stride(65) == 0)
        var row = [UInt64](repeating: .max, count: 4)
        let words: [UInt64] = [7, 8, 9], tags: [UInt8] = [1, 2, 3]
        row.withUnsafeMutableBytes { qc_row_pack($0.baseAddress, 3, words, tags) }
        #expect(row == [7, 8, 9, 0x03_02_01])
        #expect(String(cString: qc_status_message(QC_ERR_BUDGET)) == "memory budget exceeded")
        var arena: OpaquePointer?
        #expect(qc_arena_create(0, nil, 0, &arena) == QC_ERR_ARITY)
        #expect(arena == nil)
    }
}

@Suite("Key hashing")
struct KeyHashTests {
    @Test("a column of fixed-width keys hashes as each key alone", arguments: [8, 16, 24, 32, 40, 48, 64, 13])
    func keysMatchBytes(width: Int) throws {
        var rng = SplitMix(seed: UInt64(width))
        let keys = (0..<(width * 20)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let hashes = try RowHash.hashKeys(keys, width: width, count: 20, seed: 42)
        for i in 0..<20 {
            #expect(hashes[i] == RowHash.hash(bytes: Array(keys[(i * width)..<((i + 1) * width)]), seed: 42))
        }
    }
}

@Suite("Core wrappers refuse malformed arguments with errors")
struct WrapperArgumentTests {
    @Test func malformedArgumentsThrow() throws {
        #expect(throws: CoreError.self) { _ = try RowHash.hashKeys([1, 2, 3], width: 2, count: 2) }
        #expect(throws: CoreError.self) { _ = try RowHash.hashKeys([], width: Int.max, count: 3) }
        #expect(throws: CoreError.self) { _ = try RowHash.hashKeys([1], width: 0, count: 1) }
        var rows = try PackedRows(arity: 2)
        #expect(throws: CoreError.self) { try rows.append(words: [1], tags: [.int, .int]) }
        #expect(rows.count == 0)
        let set = try DedupSet(arity: 3)
        #expect(throws: CoreError.self) { try set.insert(contentsOf: rows) }
        #expect(throws: CoreError.self) { try set.insert(KeyRow()) }
        #expect(set.firstIndex(of: rows, row: 0) == nil)
    }
}
