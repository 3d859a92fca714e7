@testable import Quarry
import Testing

/// Deduplication of clustered rows, one run at a time, against a model that
/// keeps each run's first occurrences in order.
@Suite("Run deduplication")
struct RunDeduperTests {
    /// Rows `[run, value, run parity as a tag]` of arity 3, clustered by
    /// columns 0 and 2.
    private func row(run: Int, value: UInt64) -> ModelRow {
        ModelRow(words: [UInt64(run), value, 7], tags: [run % 2 == 0 ? .int : .ref, .int, .string])
    }

    private func buffer(_ rows: ArraySlice<ModelRow>) throws -> RowBuffer {
        let buffer = try RowBuffer(arity: 3)
        for r in rows {
            try buffer.appendRow { w in
                for c in 0..<3 { w.set(c, word: r.words[c], tag: r.tags[c].rawValue) }
            }
        }
        return buffer
    }

    private func modelRows(_ buffer: RowBuffer) -> [ModelRow] {
        (0..<buffer.count).map { r in
            ModelRow(words: (0..<3).map { buffer.word(r, $0) }, tags: (0..<3).map { ValueTag(rawValue: buffer.tag(r, $0))! })
        }
    }

    /// Feeds `rows` in batches of random sizes and returns what is kept.
    private func deduplicate(_ rows: [ModelRow], with deduper: RunDeduper, using rng: inout SplitMix) throws -> [ModelRow] {
        var kept: [ModelRow] = [], start = 0
        while start < rows.count {
            let end = min(rows.count, start + Int.random(in: 1...70, using: &rng))
            let batch = try buffer(rows[start..<end])
            try deduper.keepNew(batch)
            kept += modelRows(batch)
            start = end
        }
        return kept
    }

    @Test(arguments: 0..<8)
    func keepsEachRunsFirstOccurrences(seed: UInt64) throws {
        var rng = SplitMix(seed: 0x5EED_0000 + seed)
        // Runs shorter and longer than the linear limit, with many repeats.
        var rows: [ModelRow] = [], expected: [ModelRow] = []
        for run in 0..<60 {
            let length = Int.random(in: 1...(3 * RunDeduper.smallRunLimit), using: &rng)
            let domain = UInt64.random(in: 1...UInt64(2 * RunDeduper.smallRunLimit), using: &rng)
            var seen = Set<ModelRow>()
            for _ in 0..<length {
                let r = row(run: run, value: rng.next() % domain)
                rows.append(r)
                if seen.insert(r).inserted { expected.append(r) }
            }
        }
        let deduper = try RunDeduper(arity: 3, runColumns: [0, 2], account: nil)
        #expect(try deduplicate(rows, with: deduper, using: &rng) == expected)
    }

    @Test func aRunIsForgottenWhenTheNextStartsAndAfterRemoveAll() throws {
        var rng = SplitMix(seed: 1)
        // Longer than the small runs, so it ends in the table.
        let distinct = RunDeduper.smallRunLimit + 20
        let long = (0..<(2 * distinct)).map { row(run: 1, value: UInt64($0 % distinct)) }
        let deduper = try RunDeduper(arity: 3, runColumns: [0, 2], account: nil)
        #expect(try deduplicate(long, with: deduper, using: &rng).count == distinct)
        // The same values under another run are new, and so is run 1 after a rewind.
        #expect(try deduplicate((0..<5).map { row(run: 2, value: UInt64($0)) }, with: deduper, using: &rng).count == 5)
        deduper.removeAll()
        #expect(try deduplicate(Array(long.prefix(3)), with: deduper, using: &rng).count == 3)
    }

    @Test func tagsTellRunsAndRowsApart() throws {
        let deduper = try RunDeduper(arity: 3, runColumns: [0, 2], account: nil)
        var a = row(run: 4, value: 1), b = a
        b.tags[1] = .ref
        var c = a
        c.tags[0] = .ref
        let batch = try buffer([a, a, b, c, c][...])
        try deduper.keepNew(batch)
        #expect(modelRows(batch) == [a, b, c])
    }
}
