import Testing
@_spi(Testing) @_spi(Core) @testable import Quarry

@Suite("DedupSet against a reference set")
struct DedupSetTests {
    /// Inserts rows one by one and checks every answer against a dictionary
    /// from row to first index, then checks the distinct rows read back.
    func checkAgainstReference(_ set: DedupSet, _ rows: [ModelRow]) throws {
        var reference: [ModelRow: Int] = [:]
        var order: [ModelRow] = []
        let packed = try pack(rows, arity: set.arity)
        for i in rows.indices {
            let result = try set.insert(packed, row: i)
            if let known = reference[rows[i]] {
                #expect(!result.inserted)
                #expect(result.index == known)
            } else {
                #expect(result.inserted)
                #expect(result.index == order.count)
                reference[rows[i]] = order.count
                order.append(rows[i])
            }
        }
        #expect(set.count == order.count)
        for (i, row) in order.enumerated() {
            #expect(set.row(i).map(\.word) == row.words)
            #expect(set.row(i).map(\.tag) == row.tags)
        }
    }

    @Test("random rows of every arity 1...16, and wide ones", arguments: Array(1...16) + [17, 31, 32, 33, 64])
    func everyArity(arity: Int) throws {
        let set = try DedupSet(arity: arity)
        try checkAgainstReference(set, randomRows(arity: arity, count: 3000, domain: 4, seed: UInt64(arity)))
    }

    @Test("forced collisions: 4-bit hashes make full hashes and fragments collide")
    func forcedCollisions() throws {
        let set = try DedupSet(arity: 3, switches: .weakHash)
        try checkAgainstReference(set, randomRows(arity: 3, count: 2000, domain: 12, seed: 7))
        let stats = set.probeStats
        #expect(stats.falseMatches > 0, "weak hashes must force row compares that fail")
        #expect(stats.fragmentMatches >= stats.falseMatches)
    }

    @Test("growth across many resizes from the minimum capacity")
    func growth() throws {
        let set = try DedupSet(arity: 2, switches: .noPresize)
        #expect(set.capacity == 16)
        let rows = (0..<100_000).map { ModelRow(words: [UInt64($0), UInt64($0 % 7)], tags: [.int, .int]) }
        let packed = try pack(rows, arity: 2)
        #expect(try set.insert(contentsOf: packed) == 100_000)
        #expect(set.probeStats.grows >= 13)
        #expect(set.capacity >= 100_000 * 4 / 3)
        #expect(set.capacity & (set.capacity - 1) == 0)
        for i in stride(from: 0, to: 100_000, by: 997) { #expect(set.firstIndex(of: packed, row: i) == i) }
        #expect(try set.insert(contentsOf: packed) == 0)
    }

    @Test("batch insert with prefetch agrees with one-by-one insert", arguments: [1, 3, 5, 9])
    func batchAgreesWithSingle(arity: Int) throws {
        let rows = randomRows(arity: arity, count: 5000, domain: 3, seed: 99 + UInt64(arity))
        let packed = try pack(rows, arity: arity)
        let single = try DedupSet(arity: arity)
        let expected = try rows.indices.map { try single.insert(packed, row: $0) }
        let batched = try DedupSet(arity: arity)
        let got = try batched.insertReportingIndices(packed)
        #expect(got.map(\.index) == expected.map(\.index))
        #expect(got.map(\.inserted) == expected.map(\.inserted))
        let plain = try DedupSet(arity: arity)
        #expect(try plain.insert(contentsOf: packed, prefetch: false) == single.count)
        #expect(try batched.rows(0..<batched.count) == single.rows(0..<single.count))
    }

    @Test("duplicates inside one prefetch window are found")
    func duplicatesWithinWindow() throws {
        var packed = try PackedRows(arity: 1)
        for i in 0..<64 { try packed.append(words: [UInt64(i % 2)], tag: .int) }
        let set = try DedupSet(arity: 1)
        #expect(try set.insert(contentsOf: packed) == 2)
    }

    @Test("tags take part in equality")
    func tagsMatter() throws {
        let set = try DedupSet(arity: 2)
        #expect(try set.insert(words: [1, 2], tags: [.int, .int]).inserted)
        #expect(try set.insert(words: [1, 2], tags: [.int, .ref]).inserted)
        #expect(try !set.insert(words: [1, 2], tags: [.int, .int]).inserted)
        #expect(set.contains(words: [1, 2], tags: [.int, .ref]))
        #expect(!set.contains(words: [2, 1], tags: [.int, .int]))
    }

    @Test("reserve avoids growth; removeAll keeps capacity and forgets rows")
    func reserveAndClear() throws {
        let set = try DedupSet(arity: 3)
        try set.reserve(10_000)
        let capacity = set.capacity
        let packed = try pack(randomRows(arity: 3, count: 10_000, domain: 1 << 20, seed: 3), arity: 3)
        try set.insert(contentsOf: packed)
        #expect(set.capacity == capacity)
        #expect(set.probeStats.grows == 1)
        set.removeAll()
        #expect(set.count == 0)
        #expect(set.capacity == capacity)
        #expect(set.firstIndex(of: packed, row: 0) == nil)
        #expect(try set.insert(packed, row: 5) == (true, 0))
    }

    @Test("reserving storage opens the rows' room up front: inserting them allocates nothing")
    func reserveStorage() throws {
        let account = try MemoryAccount()
        let set = try DedupSet(arity: 3, account: account)
        try set.reserve(50_000, includingStorage: true)
        let reserved = account.figures
        #expect(reserved.bytesNow >= 50_000 * 32, "the rows' storage is charged at the reservation")
        let packed = try pack(randomRows(arity: 3, count: 50_000, domain: 1 << 40, seed: 5), arity: 3)
        try set.insert(contentsOf: packed)
        #expect(set.count == 50_000)
        #expect(account.figures.allocations == reserved.allocations)
        #expect(account.figures.bytesNow == reserved.bytesNow)
        for k in [0, 777, 49_999] { #expect(set.firstIndex(of: packed, row: k) == k) }
    }

    @Test("a storage reservation over the budget fails and leaves the table as it was")
    func reserveStorageOverBudget() throws {
        // 40,000 rows take 65,536 slots (512 KiB), which fit, and row chunks
        // up to 65,536 rows (2 MiB), which do not.
        let account = try MemoryAccount(limitBytes: 2 << 20)
        let set = try DedupSet(arity: 3, account: account)
        try set.insert(contentsOf: try pack(randomRows(arity: 3, count: 100, domain: 1 << 20, seed: 6), arity: 3))
        let before = account.figures.bytesNow
        #expect(throws: CoreError.self) { try set.reserve(40_000, includingStorage: true) }
        #expect(set.count == 100)
        #expect(set.capacity == 65_536)
        #expect(account.figures.bytesNow <= before + 65_536 * 8, "only the slot array grew; the chunks it opened are closed")
        #expect(try set.insert(words: [1, 2, 3], tags: [.int, .int, .int]).inserted)
    }

    @Test("fragments keep failed row compares rare with real hashes")
    func fragmentsFilter() throws {
        let set = try DedupSet(arity: 3)
        let packed = try pack(randomRows(arity: 3, count: 200_000, domain: 1 << 30, seed: 11), arity: 3)
        try set.insert(contentsOf: packed, prefetch: false)
        let stats = set.probeStats
        #expect(stats.probes > 200_000)
        #expect(stats.falseMatches * 10_000 <= stats.probes, "at most 1 in 10,000 visited slots costs a row compare")
    }

    @Test("unsupported arity is a clear error", arguments: [0, -1, 65])
    func badArity(arity: Int) {
        #expect(throws: CoreError.self) { try DedupSet(arity: arity) }
        do {
            _ = try DedupSet(arity: arity)
        } catch {
            #expect(error.kind == .unsupportedArity)
            #expect(error.description.contains("supported: 1...64"))
        }
    }
}
