/// Keeps the first occurrence of each row across every buffer it is given:
/// the executor's set semantics, over the core's dedup table with its
/// prefetching batch insert. Arity 0 (the relation of the empty row) is
/// handled here, where the core table has no rows to hash.
final class RowDeduper {
    let arity: Int
    private var table: DedupSet?
    private let account: MemoryAccount?
    private var sawEmptyRow = false
    private let indices: CoreVector<UInt64>
    private let fresh: CoreVector<UInt8>
    private let found: CoreVector<Int64>

    init(arity: Int, account: MemoryAccount?) throws {
        self.arity = arity
        self.account = account
        table = arity == 0 ? nil : try DedupSet(arity: arity, account: account)
        indices = CoreVector(account: account)
        fresh = CoreVector(account: account)
        found = CoreVector(account: account)
    }

    var count: Int { table?.count ?? (sawEmptyRow ? 1 : 0) }
    var byteCount: Int { (table?.byteCount ?? 0) + indices.byteCount + fresh.byteCount + found.byteCount }

    /// Makes room for `rows` distinct rows without growing.
    func reserve(_ rows: Int) throws {
        try table?.reserve(rows)
    }

    /// Adds the rows of `rows` and drops from it, in place, those seen
    /// before (in earlier buffers or earlier in this one).
    func keepNew(_ rows: RowBuffer) throws {
        guard let table else {
            if rows.count > 0 {
                rows.truncate(to: sawEmptyRow ? 0 : 1)
                sawEmptyRow = true
            }
            return
        }
        try table.insertAll(rows, indices: indices, fresh: fresh)
        rows.keep(where: fresh)
    }

    /// Adds the rows of `rows`, leaving it as it is.
    func insert(_ rows: RowBuffer) throws {
        _ = try insertMarkingNew(rows)
    }

    /// Adds the rows of `rows`, leaving it as it is, and flags each row that
    /// was new (not seen before, nor earlier in `rows`). Valid until the next call.
    func insertMarkingNew(_ rows: RowBuffer) throws -> CoreVector<UInt8> {
        guard let table else {
            try fresh.resize(to: rows.count)
            for r in 0..<rows.count { fresh[r] = !sawEmptyRow && r == 0 ? 1 : 0 }
            sawEmptyRow = sawEmptyRow || rows.count > 0
            return fresh
        }
        try table.insertAll(rows, indices: indices, fresh: fresh)
        return fresh
    }

    /// One flag per row of `rows`: 1 where the row is in the set
    /// (`present`), or is not (`!present`). Valid until the next call.
    func mark(_ rows: RowBuffer, present: Bool) throws -> CoreVector<UInt8> {
        try fresh.resize(to: rows.count)
        if let table {
            try table.findAll(rows, into: found)
            for r in 0..<rows.count { fresh[r] = (found[r] >= 0) == present ? 1 : 0 }
        } else {
            for r in 0..<rows.count { fresh[r] = sawEmptyRow == present ? 1 : 0 }
        }
        return fresh
    }

    /// The bytes of table a rewound operator keeps for its next run; a
    /// bigger one is freed (see ``removeAll(keepingUpTo:)``).
    static let keptTableBytes = 64 << 10

    /// Empties the set; a table past `keepingUpTo` bytes is freed rather
    /// than cleared, so a plan rewound after a big run does not hold it.
    func removeAll(keepingUpTo limit: Int = .max) {
        if let t = table, t.byteCount > limit, let empty = try? DedupSet(arity: arity, account: account) {
            table = empty
        } else {
            table?.removeAll()
        }
        sawEmptyRow = false
    }
}
