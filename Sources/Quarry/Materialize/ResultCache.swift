/// The materializer's cache of finished scans: per shape and binding, the
/// rows a response held for it. Least recently used entries go first when
/// the bytes pass the budget; an entry older than the time to live is a
/// miss; a write drops every entry of an attribute it touched.
///
/// Bytes are the core's figures of the responses kept: one response cut
/// into many entries is counted once, and freed with its last entry.
/// Not thread-safe: the materializer's actor owns it.
struct ResultCache {
    struct Key: Hashable {
        let shape: ScanShape
        let binding: [Value]
    }

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
    private var entries: [Key: Entry] = [:]
    /// Live entries per response, to count its bytes once.
    private var responses: [ObjectIdentifier: Int] = [:]
    /// Shapes with entries, by attribute (nil: every attribute), for
    /// lookups through `canSatisfy`.
    private var shapes: [Keyword?: Set<ScanShape>] = [:]
    private var shapeEntries: [ScanShape: Int] = [:]
    private var tick: UInt64 = 0

    init(budgetBytes: Int, timeToLive: Duration?) {
        self.budgetBytes = budgetBytes
        self.timeToLive = timeToLive
    }

    var count: Int { entries.count }

    /// The entry serving `binding` of `shape`: its own, or one of a shape
    /// that can satisfy it. Expired entries are dropped on the way.
    mutating func lookup(_ shape: ScanShape, _ binding: [Value], now: Duration) -> (ScanShape, [Value], Entry)? {
        guard budgetBytes > 0 else { return nil }
        for s in candidates(for: shape) {
            let key = Key(shape: s, binding: s.key(of: binding, for: shape))
            guard var e = entries[key] else { continue }
            if let ttl = timeToLive, now - e.stored > ttl {
                remove(key)
                continue
            }
            tick += 1
            e.lastUse = tick
            entries[key] = e
            return (s, key.binding, e)
        }
        return nil
    }

    /// The cached shapes that can answer `shape`, its own first.
    private func candidates(for shape: ScanShape) -> [ScanShape] {
        var out: [ScanShape] = shapeEntries[shape] != nil ? [shape] : []
        let buckets = shape.attributes.isEmpty ? [nil] : shape.attributes.map { Optional($0) } + [nil]
        for b in buckets {
            for s in shapes[b] ?? [] where s != shape && !out.contains(s) && s.canSatisfy(shape) { out.append(s) }
        }
        return out
    }

    /// Keeps the rows of each binding of a response, then evicts down to
    /// the budget. A response larger than the whole budget is not kept.
    mutating func store(_ rows: ScanRows, of request: ScanRequest, ranges: [Int: Range<Int>], now: Duration) {
        guard budgetBytes > 0, rows.byteCount <= budgetBytes else { return }
        for (b, binding) in request.bindings.enumerated() {
            let key = Key(shape: request.shape, binding: binding)
            remove(key)
            tick += 1
            entries[key] = Entry(rows: rows, bindings: request.bindings, range: ranges[b] ?? 0..<0, stored: now, lastUse: tick)
            retain(rows)
            shapeEntries[request.shape, default: 0] += 1
            if shapeEntries[request.shape] == 1 {
                for a in request.shape.attributes.isEmpty ? [nil] : request.shape.attributes.map({ Optional($0) }) {
                    shapes[a, default: []].insert(request.shape)
                }
            }
        }
        evict()
    }

    /// Drops every entry of a shape reading one of `attributes`; returns how many.
    @discardableResult
    mutating func invalidate(_ attributes: Set<Keyword>) -> Int {
        let doomed = entries.keys.filter { k in
            k.shape.attributes.isEmpty || !attributes.isDisjoint(with: k.shape.attributes)
        }
        for k in doomed { remove(k) }
        return doomed.count
    }

    mutating func removeAll() {
        for k in Array(entries.keys) { remove(k) }
    }

    private mutating func evict() {
        guard bytes > budgetBytes else { return }
        // Oldest use first; one sort per eviction round, not per entry.
        for (k, _) in entries.sorted(by: { $0.value.lastUse < $1.value.lastUse }) {
            guard bytes > budgetBytes else { break }
            remove(k)
            evictions += 1
        }
    }

    private mutating func retain(_ rows: ScanRows) {
        let id = ObjectIdentifier(rows)
        responses[id, default: 0] += 1
        if responses[id] == 1 { bytes += rows.byteCount }
    }

    private mutating func remove(_ key: Key) {
        guard let e = entries.removeValue(forKey: key) else { return }
        let id = ObjectIdentifier(e.rows)
        responses[id]! -= 1
        if responses[id] == 0 {
            responses[id] = nil
            bytes -= e.rows.byteCount
        }
        shapeEntries[key.shape]! -= 1
        if shapeEntries[key.shape] == 0 {
            shapeEntries[key.shape] = nil
            for a in key.shape.attributes.isEmpty ? [nil] : key.shape.attributes.map({ Optional($0) }) {
                shapes[a]?.remove(key.shape)
            }
        }
    }
}
