import Testing
@_spi(Core) @testable import Quarry

@Suite("TupleArena")
struct TupleArenaTests {
    @Test("rows read back across many chunk boundaries", arguments: [1, 3, 16, 64])
    func appendAndRead(arity: Int) throws {
        let arena = try TupleArena(arity: arity)
        let n = 20_000
        for i in 0..<n {
            let words = (0..<arity).map { UInt64(i * 131 + $0) }
            let tags = (0..<arity).map { ValueTag.allCases[($0 + i) % ValueTag.allCases.count] }
            #expect(try arena.append(words: words, tags: tags) == i)
        }
        #expect(arena.count == n)
        for i in stride(from: 0, to: n, by: 7) {
            #expect(arena.word(row: i, column: arity - 1) == UInt64(i * 131 + arity - 1))
            #expect(arena.tag(row: i, column: 0) == ValueTag.allCases[i % ValueTag.allCases.count])
        }
        let copy = try arena.rows(100..<5000)
        #expect(copy.count == 4900)
        #expect(copy.word(row: 0, column: 0) == UInt64(100 * 131))
        #expect(copy.tag(row: 4899, column: 0) == ValueTag.allCases[4999 % ValueTag.allCases.count])
    }

    @Test("a batch appends in order and round-trips")
    func batchAppend() throws {
        let rows = randomRows(arity: 4, count: 1000, domain: 1000, seed: 5)
        let packed = try pack(rows, arity: 4)
        let arena = try TupleArena(arity: 4)
        try arena.append(words: [9, 9, 9, 9], tags: [.int, .int, .int, .int])
        #expect(try arena.append(contentsOf: packed) == 1)
        #expect(try arena.rows(1..<1001) == packed)
    }

    @Test("reset keeping memory reuses chunks; reset releasing frees them")
    func reset() throws {
        let account = try MemoryAccount()
        let arena = try TupleArena(arity: 2, account: account)
        for i in 0..<10_000 { try arena.append(words: [UInt64(i), 0], tags: [.int, .int]) }
        let held = arena.byteCount
        #expect(held >= 10_000 * 24)
        arena.removeAll(keepingMemory: true)
        #expect(arena.count == 0)
        #expect(arena.byteCount == held)
        for i in 0..<10_000 { try arena.append(words: [UInt64(i), 1], tags: [.int, .int]) }
        #expect(arena.byteCount == held)
        #expect(arena.word(row: 9_999, column: 1) == 1)
        arena.removeAll(keepingMemory: false)
        #expect(arena.byteCount == 0)
        #expect(account.figures.bytesNow > 0, "the arena struct itself is still held")
    }

    @Test("unsupported arity is a clear error", arguments: [0, 65, 1000])
    func badArity(arity: Int) {
        #expect(throws: CoreError(status: .init(2), operation: "arena of arity \(arity) (supported: 1...64)")) {
            try TupleArena(arity: arity)
        }
    }
}
