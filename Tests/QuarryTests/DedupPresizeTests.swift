import Testing
@_spi(Testing) @_spi(Core) @testable import Quarry

/// A long batch sizes the table once from an estimate of its new distinct
/// rows: it must land on the capacity that growing would reach, count rows
/// already present as not new, and never change what the set holds.
@Suite("DedupSet sizes a long batch up front")
struct DedupPresizeTests {
    /// `distinct` arity-3 rows numbered from `first`, each `copies` times,
    /// shuffled.
    func workload(first: Int = 0, distinct: Int, copies: Int, seed: UInt64) throws -> PackedRows {
        try rows(numbered: (0..<distinct * copies).map { first + $0 % distinct }, seed: seed)
    }

    /// The arity-3 rows of the given numbers, shuffled.
    func rows(numbered numbers: [Int], seed: UInt64) throws -> PackedRows {
        var rng = SplitMix(seed: seed)
        var order = numbers
        order.shuffle(using: &rng)
        var packed = try PackedRows(arity: 3, reservingCapacity: order.count)
        for k in order { try packed.append(words: [UInt64(k) &* 0x9E37_79B9, UInt64(k % 7), UInt64(k)], tag: .int) }
        return packed
    }

    @Test("a batch with duplicates grows once, to the capacity growing reaches", arguments: [(100_000, 2), (30_000, 10)])
    func growsOnce(distinct: Int, copies: Int) throws {
        let packed = try workload(distinct: distinct, copies: copies, seed: UInt64(distinct))
        let sized = try DedupSet(arity: 3)
        let growing = try DedupSet(arity: 3, switches: .noPresize)
        #expect(try sized.insert(contentsOf: packed) == distinct)
        #expect(try growing.insert(contentsOf: packed) == distinct)
        #expect(sized.probeStats.grows == 1)
        #expect(growing.probeStats.grows > 5)
        #expect(sized.capacity == growing.capacity)
        #expect(try sized.rows(0..<sized.count) == growing.rows(0..<growing.count))
    }

    @Test("rows already present are not counted as new")
    func presentRowsAreNotNew() throws {
        let set = try DedupSet(arity: 3)
        #expect(try set.insert(contentsOf: workload(distinct: 60_000, copies: 1, seed: 1)) == 60_000)
        let capacity = set.capacity, grows = set.probeStats.grows
        // 60,000 rows already held and 20,000 new ones: 80,000 fit the
        // current capacity, 140,000 (every row taken as new) would not.
        let batch = try rows(numbered: Array(0..<80_000), seed: 2)
        #expect(try set.insert(contentsOf: batch) == 20_000)
        #expect(set.capacity == capacity)
        #expect(set.probeStats.grows == grows)
    }

    @Test("a short batch or one that fits grows as it fills")
    func shortBatchesAreNotSized() throws {
        let set = try DedupSet(arity: 3)
        #expect(try set.insert(contentsOf: workload(distinct: 60_000, copies: 1, seed: 4)) == 60_000)
        #expect(set.probeStats.grows > 5)
    }

    @Test("reserved storage stands in for the estimate until the table holds that many rows; a plain reserve does not")
    func reservedStorageIsTrusted() throws {
        let packed = try workload(distinct: 100_000, copies: 1, seed: 6)
        let estimated = try DedupSet(arity: 3)
        #expect(try estimated.insert(contentsOf: packed) == 100_000)
        #expect(estimated.probeStats.grows == 1, "sized once, from the estimate")
        let hinted = try DedupSet(arity: 3)
        try hinted.reserve(10)
        #expect(try hinted.insert(contentsOf: packed) == 100_000)
        #expect(hinted.probeStats.grows == 1, "a plain reservation is a hint: the batch still estimates")
        let trusted = try DedupSet(arity: 3)
        try trusted.reserve(10, includingStorage: true)
        #expect(try trusted.insert(contentsOf: packed) == 100_000)
        #expect(trusted.probeStats.grows > 5, "the reserved size stood in for the estimate, so the table grew")
    }

    @Test("without room for the estimate, the batch still inserts what fits and reports the budget")
    func budgetTooSmallForTheEstimate() throws {
        let account = try MemoryAccount(limitBytes: 2 << 20)
        let set = try DedupSet(arity: 3, account: account)
        let packed = try workload(distinct: 200_000, copies: 1, seed: 5)
        var failure: CoreError?
        do { try set.insert(contentsOf: packed) } catch { failure = error }
        #expect(failure?.kind == .budgetExceeded)
        #expect(set.count > 0)
        for i in stride(from: 0, to: set.count, by: 101) { #expect(set.firstIndex(of: packed, row: i) == i) }
        let held = set.count
        account.setLimit(nil)
        #expect(try set.insert(contentsOf: packed) == 200_000 - held)
        #expect(set.count == 200_000)
    }
}
