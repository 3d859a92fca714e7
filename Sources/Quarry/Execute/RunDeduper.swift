/// Set semantics for rows that arrive clustered (``Operator/clusteredBy``):
/// rows agreeing on `runColumns` come as one run and never again, so a row
/// can only repeat inside its own run and only the current run needs
/// remembering.
///
/// A decorrelated subquery's aggregate input is the case it is for: its
/// rows come per outer binding, a few dozen at a time, and a table of every
/// row (what ``RowDeduper`` keeps) would be as big as the whole input and
/// out of cache. Up to ``smallRunLimit`` kept rows, a run is checked
/// through a kilobyte of slots hashed on the columns that differ within
/// it; a longer run goes on in a dedup table emptied when it ends.
final class RunDeduper {
    /// Kept rows of one run held in the small slots; beyond, the table.
    static let smallRunLimit = 64
    /// Slots for the small runs: a power of two, at most a quarter full.
    private static let slotCount = 256

    let arity: Int
    /// Byte offsets in a row of the run columns' words, and of their tags.
    private let runWords: [Int]
    private let runTags: [Int]
    /// Byte offsets of the words that tell two rows of one run apart: the
    /// other columns' words, then the tag words.
    private let otherWords: [Int]
    /// The kept rows of the current small run (its first one names the run).
    private let kept: RowBuffer
    /// Per slot, the run's stamp (high bits) and 1 + the index in `kept`
    /// of the row hashed there (low byte); a slot of an older stamp is
    /// free, so starting a run clears nothing.
    private var slots: [UInt32]
    private var stamp: UInt32 = 1
    private let table: RowDeduper
    private var tableHoldsRun = false
    private let scratch: RowBuffer
    private let flags: CoreVector<UInt8>

    init(arity: Int, runColumns: [Int], account: MemoryAccount?) throws {
        precondition(!runColumns.isEmpty && runColumns.allSatisfy { $0 < arity })
        self.arity = arity
        runWords = runColumns.map { $0 * 8 }
        runTags = runColumns.map { arity * 8 + $0 }
        let kept = try RowBuffer(arity: arity, account: account)
        otherWords = (0..<arity).filter { !runColumns.contains($0) }.map { $0 * 8 }
            + Array(stride(from: arity * 8, to: kept.stride, by: 8))
        try kept.reserve(Self.smallRunLimit + 1)
        self.kept = kept
        slots = Array(repeating: 0, count: Self.slotCount)
        precondition(Self.smallRunLimit < 255)
        table = try RowDeduper(arity: arity, account: account)
        scratch = try RowBuffer(arity: arity, account: account)
        flags = CoreVector(account: account)
    }

    var byteCount: Int {
        kept.byteCount + table.byteCount + scratch.byteCount + flags.byteCount + slots.count * MemoryLayout<UInt32>.stride
    }

    /// Drops from `rows`, in place, the rows seen before in the current run
    /// (in earlier buffers or earlier in this one).
    func keepNew(_ rows: RowBuffer) throws {
        precondition(rows.arity == arity)
        let n = rows.count
        guard n > 0 else { return }
        try flags.resize(to: n)
        let stride = rows.stride, first = rows.rowPointer(0)
        var r = 0
        while r < n {
            let row = first + r &* stride
            if kept.count == 0 || !sameRun(row, kept.rowPointer(0)) { startRun() }
            var end = r + 1
            while end < n && sameRun(first + end &* stride, row) { end += 1 }
            if !tableHoldsRun { r = try keepNewSmall(rows, from: r, to: end) }
            if r < end {
                scratch.removeAll()
                try scratch.append(contentsOf: rows, rows: r..<end)
                let fresh = try table.insertMarkingNew(scratch)
                for i in 0..<scratch.count { flags[r + i] = fresh[i] }
                r = end
            }
        }
        rows.keep(where: flags)
    }

    /// Flags rows `start..<end` of `rows` (of the current run) through the
    /// small slots, until the run outgrows them (then moves it to the
    /// table); returns the first row not flagged.
    private func keepNewSmall(_ rows: RowBuffer, from start: Int, to end: Int) throws -> Int {
        let stride = rows.stride, first = rows.rowPointer(0), mask = Self.slotCount - 1, stamp = self.stamp << 8
        var r = start
        try otherWords.withUnsafeBufferPointer { words in
            try slots.withUnsafeMutableBufferPointer { slots in
                try flags.withMutableElements { flags in
                    while r < end {
                        let row = first + r &* stride
                        var h: UInt64 = 0
                        for o in words { h = (h ^ row.load(fromByteOffset: o, as: UInt64.self)) &* 0x9E37_79B9_7F4A_7C15 }
                        var s = Int(truncatingIfNeeded: h >> 56) & mask
                        var isNew = true
                        while slots[s] & ~0xFF == stamp {
                            let candidate = kept.rowPointer(Int(slots[s] & 0xFF) - 1)
                            if words.allSatisfy({ candidate.load(fromByteOffset: $0, as: UInt64.self)
                                == row.load(fromByteOffset: $0, as: UInt64.self) }) {
                                isNew = false
                                break
                            }
                            s = (s + 1) & mask
                        }
                        flags[r] = isNew ? 1 : 0
                        r += 1
                        guard isNew else { continue }
                        try kept.append(copyOf: r - 1, from: rows)
                        slots[s] = stamp | UInt32(kept.count)
                        if kept.count > Self.smallRunLimit {
                            try table.insert(kept)
                            tableHoldsRun = true
                            return
                        }
                    }
                }
            }
        }
        return r
    }

    /// Forgets every run (the plan is rewound). The table is empty unless
    /// it holds the current run, which starting a new one empties.
    func removeAll() { startRun() }

    private func startRun() {
        kept.removeAll()
        stamp = (stamp &+ 1) & 0xFF_FFFF
        if stamp == 0 {
            // Stamps wrapped: an old one could come back, so clear them all.
            for i in slots.indices { slots[i] = 0 }
            stamp = 1
        }
        if tableHoldsRun { table.removeAll(keepingUpTo: RowDeduper.keptTableBytes) }
        tableHoldsRun = false
    }

    @inline(__always)
    private func sameRun(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer) -> Bool {
        for o in runWords where a.load(fromByteOffset: o, as: UInt64.self) != b.load(fromByteOffset: o, as: UInt64.self) {
            return false
        }
        for o in runTags where a.load(fromByteOffset: o, as: UInt8.self) != b.load(fromByteOffset: o, as: UInt8.self) {
            return false
        }
        return true
    }
}
