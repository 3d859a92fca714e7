import Foundation
@_spi(Testing) @_spi(Core) import Quarry

/// The C dedup table against a model (a Swift dictionary from row to
/// index): the input is a program of inserts (one row, a batch, a batch
/// through the per-row path), lookups, reserves and clears over rows from a
/// small domain, on a table whose switches (weak hash, partition every
/// batch, no presize) the first byte picks.
enum FuzzDedup {
    struct Program {
        var bytes: [UInt8]
        var at = 0
        mutating func next() -> UInt8? {
            guard at < bytes.count else { return nil }
            defer { at += 1 }
            return bytes[at]
        }
    }

    static func run(_ data: Data) {
        var p = Program(bytes: Array(data))
        guard let setup = p.next() else { return }
        let arity = Int(setup & 3) + 1
        var switches: DedupSet.Switches = []
        if setup & 4 != 0 { switches.insert(.weakHash) }
        if setup & 8 != 0 { switches.insert(.partitionEveryBatch) }
        if setup & 16 != 0 { switches.insert(.noPresize) }
        guard let set = try? DedupSet(arity: arity, switches: switches) else { return }
        var model: [[UInt64]: Int] = [:]
        var order: [[UInt64]] = []
        // Rows one input may insert in all. Checking each against the model costs microseconds
        // under ASan, so most inputs stay small (the partitioned path is still reached, through
        // `partitionEveryBatch`) and run by the hundred a second; one in four, picked by the
        // first byte, may insert batches past the 65,536 rows that partition on their own. A weak
        // hash makes every probe walk a long run, so its batches stay short.
        let long = setup & 96 == 96
        var budget = switches.contains(.weakHash) ? 10_000 : long ? 150_000 : 12_000

        func row(_ seed: UInt8) -> [UInt64] { (0..<arity).map { UInt64(seed >> UInt8($0 * 2) & 3) } }
        func check(_ r: [UInt64], got: (inserted: Bool, index: Int)) {
            if let i = model[r] {
                precondition(!got.inserted && got.index == i, "a row held was inserted again")
            } else {
                precondition(got.inserted && got.index == order.count, "a new row was not inserted")
                model[r] = order.count
                order.append(r)
            }
        }

        while let op = p.next() {
            switch op % 6 {
            case 0:
                guard let s = p.next() else { break }
                let r = row(s)
                guard let got = try? set.insert(words: r, tags: Array(repeating: .int, count: arity)) else { return }
                check(r, got: got)
            case 1, 2:
                // A batch: its length from one byte, times a stretch so that long batches occur.
                guard let n = p.next(), let stretch = p.next() else { break }
                let count = Int(n) * (Int(stretch % 4) * 200 + 1)
                guard count <= budget else { break }
                budget -= count
                var rows = try! PackedRows(arity: arity, reservingCapacity: count)
                var list: [[UInt64]] = []
                for k in 0..<count {
                    let r = row(UInt8(truncatingIfNeeded: Int(n) &+ k &* Int(stretch | 1)))
                    try! rows.append(words: r, tag: .int)
                    list.append(r)
                }
                guard let results = try? set.insertReportingIndices(rows) else { return }
                for (r, got) in zip(list, results) { check(r, got: got) }
            case 3:
                guard let s = p.next() else { break }
                let r = row(s)
                var one = try! PackedRows(arity: arity, reservingCapacity: 1)
                try! one.append(words: r, tag: .int)
                precondition(set.firstIndex(of: one, row: 0) == model[r], "lookup disagrees with the model")
            case 4:
                guard let n = p.next() else { break }
                guard (try? set.reserve(Int(n) * 97, includingStorage: n & 1 == 1)) != nil else { return }
            default:
                set.removeAll()
                model.removeAll()
                order.removeAll()
            }
            precondition(set.count == order.count, "count disagrees with the model")
        }
        for (i, r) in order.enumerated() { precondition(set.row(i).map(\.word) == r, "row \(i) differs") }
    }
}
