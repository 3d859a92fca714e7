import Testing
@_spi(Testing) @_spi(Core) @testable import Quarry

/// The partitioned batch insert (a long batch into a table that outgrows
/// L2) must answer exactly as the prefetch pipeline does: the same rows in
/// the same insertion order, the same index and new-flag per batch row, and
/// on a budget failure the same prefix of the batch inserted.
@Suite("DedupSet partitions a long batch")
struct DedupPartitionTests {
    /// The rows numbered by `numbers`, in that order, at `arity`.
    func rows(_ numbers: [Int], arity: Int) throws -> PackedRows {
        var packed = try PackedRows(arity: arity, reservingCapacity: numbers.count)
        for k in numbers {
            let words = (0..<arity).map { c in UInt64(k) &* 0x9E37_79B9 &+ UInt64(c * k % 7) }
            try packed.append(words: words, tag: .int)
        }
        return packed
    }

    /// `numbers`, each `copies` times, shuffled.
    func shuffled(_ numbers: Range<Int>, copies: Int, seed: UInt64) -> [Int] {
        var rng = SplitMix(seed: seed)
        var order = (0..<numbers.count * copies).map { numbers.lowerBound + $0 % numbers.count }
        order.shuffle(using: &rng)
        return order
    }

    /// What inserting `batch` into a set holding `held` (in that order)
    /// must answer per row, and the distinct rows after it, in order.
    func expected(held: [Int], batch: [Int]) -> (results: [Result], order: [Int]) {
        var index: [Int: Int] = [:]
        var order = held
        for (i, k) in held.enumerated() { index[k] = i }
        let results = batch.map { k -> Result in
            if let known = index[k] { return Result(inserted: false, index: known) }
            index[k] = order.count
            order.append(k)
            return Result(inserted: true, index: order.count - 1)
        }
        return (results, order)
    }

    struct Result: Equatable {
        var inserted: Bool
        var index: Int
    }

    func insert(_ set: DedupSet, _ packed: PackedRows) throws -> [Result] {
        try set.insertReportingIndices(packed).map { Result(inserted: $0.inserted, index: $0.index) }
    }

    @Test("a long batch into a big table is partitioned and answers as the pipeline does", arguments: [1, 3, 5])
    func agreesWithThePipeline(arity: Int) throws {
        let numbers = shuffled(0..<150_000, copies: 2, seed: UInt64(arity))
        let packed = try rows(numbers, arity: arity)
        let (accountP, accountQ) = (try MemoryAccount(), try MemoryAccount())
        let partitioned = try DedupSet(arity: arity, account: accountP)
        let pipeline = try DedupSet(arity: arity, account: accountQ, switches: .noPartition)
        let want = expected(held: [], batch: numbers)
        #expect(try insert(partitioned, packed) == want.results)
        #expect(try insert(pipeline, packed) == want.results)
        #expect(try partitioned.rows(0..<partitioned.count) == rows(want.order, arity: arity))
        for i in stride(from: 0, to: numbers.count, by: 97) {
            #expect(partitioned.firstIndex(of: packed, row: i) == want.results[i].index)
        }
        // The partitions hold a copy of the batch while they run; the
        // pipeline holds next to nothing beside its table.
        let batchBytes = UInt64(numbers.count * (arity * 8 + 8))
        #expect(accountP.figures.bytesPeak > UInt64(partitioned.byteCount) + batchBytes)
        #expect(accountQ.figures.bytesPeak < UInt64(pipeline.byteCount) + batchBytes / 4)
    }

    @Test("rows already in the table keep their indices; new ones follow in batch order")
    func rowsAlreadyHeld() throws {
        let held = Array(0..<60_000)
        let numbers = shuffled(30_000..<130_000, copies: 2, seed: 9)
        let want = expected(held: held, batch: numbers)
        let packed = try rows(numbers, arity: 3)
        for partition in [true, false] {
            let account = try MemoryAccount()
            let set = try DedupSet(arity: 3, account: account, switches: partition ? [] : .noPartition)
            #expect(try set.insert(contentsOf: rows(held, arity: 3)) == held.count)
            let before = account.figures.bytesPeak
            #expect(try insert(set, packed) == want.results)
            #expect(try set.rows(0..<set.count) == rows(want.order, arity: 3))
            #expect((account.figures.bytesPeak > before + UInt64(numbers.count * 32)) == partition)
        }
    }

    @Test("skewed partitions, growth while probing and colliding hashes", arguments: [false, true])
    func rarePaths(weakHash: Bool) throws {
        let set = try DedupSet(arity: 3, switches: weakHash ? [.weakHash, .partitionEveryBatch] : .partitionEveryBatch)
        let numbers = shuffled(0..<1_500, copies: 2, seed: 11)
        var held: [Int] = []
        var start = 0
        for length in [1, 2, 17, 300, 1, 900, 1_779] {
            let batch = Array(numbers[start..<start + length])
            let want = expected(held: held, batch: batch)
            #expect(try insert(set, rows(batch, arity: 3)) == want.results)
            held = want.order
            start += length
        }
        #expect(start == numbers.count)
        #expect(try set.rows(0..<set.count) == rows(held, arity: 3))
        #expect(set.probeStats.grows > 1)
        if weakHash { #expect(set.probeStats.falseMatches > 0) }
    }

    @Test("a budget that runs out midway leaves the prefix the pipeline would, and every held row findable",
          arguments: [false, true])
    func budgetMidway(weakHash: Bool) throws {
        // Rows already held matter: a growth while probing interleaves them
        // with the batch's provisional slots, which a failure must remove
        // without cutting the held rows' probe runs.
        let held = Array(0..<150)
        let numbers = shuffled(100..<400, copies: 2, seed: 13)
        let packed = try rows(numbers, arity: 3)
        let want = expected(held: held, batch: numbers)
        var failures = 0
        for extra in stride(from: 0, through: 96 << 10, by: 2 << 10) {
            let account = try MemoryAccount()
            let set = try DedupSet(arity: 3, account: account,
                                   switches: weakHash ? [.weakHash, .partitionEveryBatch] : .partitionEveryBatch)
            try set.insert(contentsOf: rows(held, arity: 3))
            account.setLimit(account.figures.bytesNow + UInt64(extra))
            do { try set.insert(contentsOf: packed) } catch {
                #expect(error.kind == .budgetExceeded)
                failures += 1
            }
            #expect(try set.rows(0..<set.count) == rows(Array(want.order.prefix(set.count)), arity: 3))
            let heldRows = try set.rows(0..<set.count)
            for i in 0..<set.count { #expect(set.firstIndex(of: heldRows, row: i) == i) }
            account.setLimit(nil)
            #expect(try insert(set, packed).map(\.index) == want.results.map(\.index))
            #expect(set.count == want.order.count)
        }
        #expect(failures > 3)
    }
}
