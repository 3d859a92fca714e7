import Foundation
import Testing
@_spi(Core) @testable import Quarry

@Suite("Memory accounts and statistics")
struct MemoryAccountTests {
    @Test("creating and freeing many arenas, sets and interners returns the account to zero")
    func returnsToZero() throws {
        let account = try MemoryAccount()
        for round in 0..<200 {
            let arena = try TupleArena(arity: 1 + round % 16, account: account)
            for i in 0..<(round * 10) {
                try arena.append(words: .init(repeating: UInt64(i), count: arena.arity),
                                 tags: .init(repeating: .int, count: arena.arity))
            }
            let set = try DedupSet(arity: 2, account: account)
            for i in 0..<(round * 5) { try set.insert(words: [UInt64(i), 1], tags: [.int, .int]) }
            let interner = try Interner(account: account)
            for i in 0..<round { _ = try interner.intern("name-\(i)") }
            #expect(account.figures.bytesNow > 0)
        }
        let f = account.figures
        #expect(f.bytesNow == 0)
        #expect(f.bytesPeak > 0)
        #expect(f.allocations > 600)
    }

    @Test("a budget refuses the allocation that would pass it and changes nothing")
    func budget() throws {
        let account = try MemoryAccount(limitBytes: 64 * 1024)
        let set = try DedupSet(arity: 3, account: account)
        var inserted = 0
        var failure: CoreError?
        do {
            for i in 0..<100_000 {
                try set.insert(words: [UInt64(i), 0, 0], tags: [.int, .int, .int])
                inserted += 1
            }
        } catch {
            failure = error
        }
        #expect(failure?.kind == .budgetExceeded)
        #expect(failure?.description == "dedup insert: memory budget exceeded")
        #expect(set.count == inserted)
        #expect(account.figures.rejected >= 1)
        #expect(account.figures.bytesNow <= 64 * 1024)
        for i in stride(from: 0, to: inserted, by: 13) {
            #expect(set.contains(words: [UInt64(i), 0, 0], tags: [.int, .int, .int]))
        }
        account.setLimit(nil)
        try set.insert(words: [UInt64(inserted), 0, 0], tags: [.int, .int, .int])
        #expect(set.count == inserted + 1)
    }

    @Test("a buffer grown row by row keeps its rows and is charged exactly what it holds")
    func bufferGrowth() throws {
        let account = try MemoryAccount()
        do {
            let rows = try RowBuffer(arity: 3, account: account)
            // Past a few MiB: the allocator extends such blocks in place when it can.
            for i in 0..<200_000 {
                try rows.appendRow { $0.set(0, word: UInt64(i), tag: ValueTag.int.rawValue) }
                if i % 9_973 == 0 { #expect(account.figures.bytesNow == UInt64(rows.byteCount)) }
            }
            #expect(account.figures.bytesNow == UInt64(rows.byteCount))
            #expect((0..<rows.count).allSatisfy { rows.word($0, 0) == UInt64($0) })
        }
        #expect(account.figures.bytesNow == 0)

        account.setLimit(3 << 20)
        let limited = try RowBuffer(arity: 3, account: account)
        var failure: CoreError?
        do {
            for i in 0..<200_000 { try limited.appendRow { $0.set(0, word: UInt64(i), tag: ValueTag.int.rawValue) } }
        } catch {
            failure = error as? CoreError
        }
        #expect(failure?.kind == .budgetExceeded)
        #expect(limited.count > 0 && (0..<limited.count).allSatisfy { limited.word($0, 0) == UInt64($0) })
        #expect(account.figures.bytesNow == UInt64(limited.byteCount))
    }

    @Test("huge-page tables behave the same")
    func hugePages() throws {
        let account = try MemoryAccount()
        let set = try DedupSet(arity: 3, account: account, hugePages: true)
        let packed = try pack(randomRows(arity: 3, count: 400_000, domain: 1 << 12, seed: 2), arity: 3)
        let fresh = try set.insert(contentsOf: packed)
        let plain = try DedupSet(arity: 3)
        #expect(try plain.insert(contentsOf: packed) == fresh)
        #expect(account.figures.bytesNow == UInt64(set.byteCount))
    }

    @Test("the allocator dump is valid JSON")
    func statsJSON() throws {
        let text = try #require(MemoryStats.allocatorJSON())
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        #expect(object is [String: Any])
        if MemoryStats.backend == "jemalloc" {
            #expect((object as? [String: Any])?["jemalloc"] != nil)
        }
    }

    @Test("process figures are available with jemalloc")
    func processFigures() {
        let p = MemoryStats.process()
        #expect(p.available == (MemoryStats.backend == "jemalloc"))
        if p.available {
            #expect(p.resident > 0 && p.mapped >= p.resident / 2 && p.allocated > 0)
            #expect(p.threadAllocated > 0)
        }
    }
}
