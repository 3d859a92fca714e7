/// The materializer's cache of finished scans: per shape and binding, the
/// rows a response held for it. Least recently used entries go first when
/// the bytes pass the budget; an entry older than the time to live is a
/// miss; a write drops every entry of an attribute it touched.
///
/// Bytes are the core's figures of the responses kept: one response cut
/// into many entries is counted once, and freed with its last entry.
/// Not thread-safe: the materializer's actor owns it.
struct ResultCache {
    struct Entry {
        let rows: ScanRows
        /// The bindings of the request the rows answered.
        let bindings: [[Value]]
        let range: Range<Int>
        let stored: Duration
        var lastUse: UInt64
    }

    let budgetBytes: Int
    let timeToLive: Duration?
    private(set) var bytes = 0
    private(set) var evictions = 0
    /// Per shape, per binding: the shape is hashed once per scan, not per key.
    private var entries: [ScanShape: [[Value]: Entry]] = [:]
    /// Live entries per response, to count its bytes once.
    private var responses: [ObjectIdentifier: Int] = [:]
    /// Shapes with entries, by attribute (nil: every attribute), for
    /// lookups through `canSatisfy`.
    private var shapes: [Keyword?: Set<ScanShape>] = [:]
    private var tick: UInt64 = 0

    init(budgetBytes: Int, timeToLive: Duration?) {
        self.budgetBytes = budgetBytes
        self.timeToLive = timeToLive
    }

    /// The cached shapes that can answer `shape`, its own first: found once
    /// per scan, then each binding is looked up with ``entry(_:_:now:)``.
    func candidates(for shape: ScanShape) -> [ScanShape] {
        guard budgetBytes > 0 else { return [] }
        var out: [ScanShape] = entries[shape] != nil ? [shape] : []
        let buckets = shape.attributes.isEmpty ? [nil] : shape.attributes.map { Optional($0) } + [nil]
        for b in buckets {
            for s in shapes[b] ?? [] where s != shape && !out.contains(s) && s.canSatisfy(shape) { out.append(s) }
        }
        return out
    }

    /// The entry of `shape` for `binding` (its values at the shape's
    /// parameters); an expired entry is dropped and missed.
    mutating func entry(_ shape: ScanShape, _ binding: [Value], now: Duration) -> Entry? {
        guard var e = entries[shape]?[binding] else { return nil }
        if let ttl = timeToLive, now - e.stored > ttl {
            remove(shape, binding)
            return nil
        }
        tick += 1
        e.lastUse = tick
        entries[shape]![binding] = e
        return e
    }

    /// Keeps the rows of each binding of a response, then evicts down to
    /// the budget. A response larger than the whole budget is not kept.
    mutating func store(_ rows: ScanRows, of request: ScanRequest, ranges: [Int: Range<Int>], now: Duration) {
        guard budgetBytes > 0, rows.byteCount <= budgetBytes, !request.bindings.isEmpty else { return }
        let shape = request.shape
        if entries[shape] == nil {
            for a in shape.attributes.isEmpty ? [nil] : shape.attributes.map({ Optional($0) }) {
                shapes[a, default: []].insert(shape)
            }
        }
        var stored = entries.removeValue(forKey: shape) ?? [:]
        for (b, binding) in request.bindings.enumerated() {
            tick += 1
            let entry = Entry(rows: rows, bindings: request.bindings, range: ranges[b] ?? 0..<0, stored: now, lastUse: tick)
            retain(rows)
            if let old = stored.updateValue(entry, forKey: binding) { release(old.rows) }
        }
        entries[shape] = stored
        evict()
    }

    /// Drops every entry of a shape reading one of `attributes`; returns how many.
    @discardableResult
    mutating func invalidate(_ attributes: Set<Keyword>) -> Int {
        let doomed = entries.keys.filter { s in s.attributes.isEmpty || !attributes.isDisjoint(with: s.attributes) }
        var n = 0
        for s in doomed {
            for b in Array(entries[s]!.keys) {
                remove(s, b)
                n += 1
            }
        }
        return n
    }

    /// Drops every entry; returns how many.
    @discardableResult
    mutating func removeAll() -> Int {
        var n = 0
        for (s, bindings) in entries {
            for b in bindings.keys {
                remove(s, b)
                n += 1
            }
        }
        return n
    }

    private mutating func evict() {
        guard bytes > budgetBytes else { return }
        // Oldest use first; one sort per eviction round, not per entry.
        let all = entries.flatMap { s, bindings in bindings.map { (s, $0.key, $0.value.lastUse) } }
        for (s, b, _) in all.sorted(by: { $0.2 < $1.2 }) {
            guard bytes > budgetBytes else { break }
            remove(s, b)
            evictions += 1
        }
    }

    private mutating func retain(_ rows: ScanRows) {
        let id = ObjectIdentifier(rows)
        responses[id, default: 0] += 1
        if responses[id] == 1 { bytes += rows.byteCount }
    }

    private mutating func release(_ rows: ScanRows) {
        let id = ObjectIdentifier(rows)
        responses[id]! -= 1
        if responses[id] == 0 {
            responses[id] = nil
            bytes -= rows.byteCount
        }
    }

    private mutating func remove(_ shape: ScanShape, _ binding: [Value]) {
        guard let e = entries[shape]?.removeValue(forKey: binding) else { return }
        release(e.rows)
        if entries[shape]!.isEmpty {
            entries[shape] = nil
            for a in shape.attributes.isEmpty ? [nil] : shape.attributes.map({ Optional($0) }) {
                shapes[a]?.remove(shape)
            }
        }
    }
}
