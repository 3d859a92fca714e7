/// The datoms of one attribute in one order, held as sorted chunks of at
/// most a couple of thousand datoms: a persistent sequence.
///
/// A run is a value. ``updated(adding:removing:)`` makes a new run that
/// shares every chunk the change does not touch with the old one, so a
/// transaction copies the few chunks its datoms fall in (and the arrays
/// naming the chunks), not the attribute. Chunks never change once built,
/// so any number of threads read a run while writers make new ones.
///
/// Within a chunk the datoms are contiguous: a scan reads whole slices
/// (``forEachSlice(_:_:)``), and a walk in order touches memory in order.
struct DatomRun: @unchecked Sendable {
    /// The two orders of one attribute's datoms.
    enum Order {
        /// Entity, then value (tag, word): AEVT within one attribute.
        case entity
        /// Value (tag, word), then entity: AVET within one attribute.
        case value
    }

    /// Datoms a bulk-built chunk holds; an update splits a chunk past twice this.
    static let chunkSize = 512

    let order: Order
    private(set) var chunks: ContiguousArray<CoreVector<Datom>> = []
    /// Per chunk, the position just past its last datom in the run.
    private(set) var ends: ContiguousArray<Int> = []
    /// Per chunk, its first datom: the fences a lookup searches first.
    private(set) var firsts: ContiguousArray<Datom> = []

    init(order: Order) { self.order = order }

    /// A run of `sorted` (in `order`, no datom twice).
    init(order: Order, sorted: UnsafeBufferPointer<Datom>) throws(CoreError) {
        self.order = order
        var start = 0
        while start < sorted.count {
            let end = min(sorted.count, start + Self.chunkSize)
            try append(chunk: Self.chunk(UnsafeBufferPointer(rebasing: sorted[start..<end])))
            start = end
        }
    }

    var count: Int { ends.last ?? 0 }
    var isEmpty: Bool { chunks.isEmpty }

    /// Engine bytes of the chunks (shared chunks count in every run holding them).
    var byteCount: Int { chunks.reduce(0) { $0 + $1.byteCount } }

    private static func chunk(_ datoms: UnsafeBufferPointer<Datom>) throws(CoreError) -> CoreVector<Datom> {
        let c = CoreVector<Datom>()
        try c.resize(to: datoms.count)
        c.withMutableElements { p in
            if let from = datoms.baseAddress, let to = p.baseAddress { to.update(from: from, count: datoms.count) }
        }
        return c
    }

    private mutating func append(chunk: CoreVector<Datom>) {
        guard chunk.count > 0 else { return }
        chunks.append(chunk)
        ends.append(count + chunk.count)
        firsts.append(chunk[0])
    }

    // MARK: Order

    /// Whether `x` sorts before `y` in `order`.
    @inline(__always)
    static func less(_ x: Datom, _ y: Datom, _ order: Order) -> Bool {
        switch order {
        case .entity:
            if x.e != y.e { return x.e < y.e }
            if x.vTag != y.vTag { return x.vTag < y.vTag }
            return x.v < y.v
        case .value:
            if x.vTag != y.vTag { return x.vTag < y.vTag }
            if x.v != y.v { return x.v < y.v }
            return x.e < y.e
        }
    }

    /// The leading positions of `order` a lookup fixes: an entity (then
    /// perhaps a value) in entity order, a value (then perhaps an entity)
    /// in value order.
    struct Key {
        var e: Int64?
        var v: EncodedValue?

        /// -1 when `x` sorts before the datoms the key names, 1 after, 0 among them.
        @inline(__always)
        func compare(_ x: Datom, _ order: Order) -> Int {
            switch order {
            case .entity:
                if let e, x.e != e { return x.e < e ? -1 : 1 }
                if let v { return Self.compare(x, v) }
                return 0
            case .value:
                if let v {
                    let c = Self.compare(x, v)
                    if c != 0 { return c }
                }
                if let e, x.e != e { return x.e < e ? -1 : 1 }
                return 0
            }
        }

        @inline(__always)
        private static func compare(_ x: Datom, _ v: EncodedValue) -> Int {
            if x.vTag != v.tag.rawValue { return x.vTag < v.tag.rawValue ? -1 : 1 }
            if x.v != v.word { return x.v < v.word ? -1 : 1 }
            return 0
        }
    }

    // MARK: Lookup

    /// The positions of the datoms `key` names.
    @inline(__always)
    func range(_ key: Key) -> Range<Int> {
        guard !chunks.isEmpty else { return 0..<0 }
        let lower = bound(key, above: false)
        return lower..<bound(key, above: true, from: lower)
    }

    /// The first position whose datom compares at least 0 to `key` (above:
    /// false) or above 0 (above: true), searching from `from`.
    @inline(__always)
    private func bound(_ key: Key, above: Bool, from: Int = 0) -> Int {
        let order = self.order
        @inline(__always) func before(_ x: Datom) -> Bool {
            let c = key.compare(x, order)
            return above ? c <= 0 : c < 0
        }
        // The chunk the bound lies in: the last whose first datom is before it.
        var lo = from == 0 ? 0 : chunk(at: from), hi = chunks.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if before(firsts[mid]) { lo = mid + 1 } else { hi = mid }
        }
        let c = max(0, lo - 1)
        let start = c == 0 ? 0 : ends[c - 1]
        return start + chunks[c].withElements { p in
            var lo = max(0, from - start), hi = p.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if before(p[mid]) { lo = mid + 1 } else { hi = mid }
            }
            return lo
        }
    }

    /// The chunk holding position `i` (the last chunk for the end).
    @inline(__always)
    func chunk(at i: Int) -> Int {
        var lo = 0, hi = ends.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if ends[mid] <= i { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// The datom at position `i`.
    func datom(at i: Int) -> Datom {
        let c = chunk(at: i)
        return chunks[c][i - (c == 0 ? 0 : ends[c - 1])]
    }

    /// Calls `body` with the datoms of `range` as contiguous slices, one
    /// per chunk they span, in order, until it returns false.
    @inline(__always)
    func forEachSlice(_ range: Range<Int>, _ body: (UnsafeBufferPointer<Datom>) throws -> Bool) rethrows {
        guard !range.isEmpty else { return }
        var c = chunk(at: range.lowerBound)
        var start = c == 0 ? 0 : ends[c - 1]
        while c < chunks.count, start < range.upperBound {
            let end = ends[c]
            let go = try chunks[c].withElements { p in
                let from = max(range.lowerBound, start) - start, to = min(range.upperBound, end) - start
                return try body(UnsafeBufferPointer(rebasing: p[from..<to]))
            }
            guard go else { return }
            start = end
            c += 1
        }
    }

    /// Calls `body` with every datom of `range`, in order.
    @inline(__always)
    func forEach(_ range: Range<Int>, _ body: (Datom) throws -> Void) rethrows {
        try forEachSlice(range) { slice in
            for d in slice { try body(d) }
            return true
        }
    }

    // MARK: Update

    /// A run with `adds` inserted and `removes` taken out, both sorted in
    /// this run's order; a removal names a datom by entity and value, and
    /// one the run does not hold is passed over. Only the chunks the
    /// change falls in are copied; the rest are shared.
    func updated(adding adds: [Datom], removing removes: [Datom]) throws(CoreError) -> DatomRun {
        guard !adds.isEmpty || !removes.isEmpty else { return self }
        let order = self.order
        var out = DatomRun(order: order)
        out.chunks.reserveCapacity(chunks.count + 2)
        out.ends.reserveCapacity(chunks.count + 2)
        out.firsts.reserveCapacity(chunks.count + 2)
        var i = 0, j = 0, c = 0
        while i < adds.count || j < removes.count {
            // The chunk the next change falls in: the last whose first datom is not after it.
            let next = j == removes.count || (i < adds.count && Self.less(adds[i], removes[j], order)) ? adds[i] : removes[j]
            let target = chunks.isEmpty ? 0 : max(c, chunkFor(next))
            out.append(chunks: c..<target, of: self)
            c = target
            // Every change before the next chunk's first datom goes into this one.
            var addEnd = i, removeEnd = j
            if c + 1 < chunks.count {
                let fence = firsts[c + 1]
                while addEnd < adds.count, Self.less(adds[addEnd], fence, order) { addEnd += 1 }
                while removeEnd < removes.count, Self.less(removes[removeEnd], fence, order) { removeEnd += 1 }
            } else {
                (addEnd, removeEnd) = (adds.count, removes.count)
            }
            let old = c < chunks.count ? chunks[c] : CoreVector<Datom>()
            for piece in try Self.merge(old, adds[i..<addEnd], removes[j..<removeEnd], order) { out.append(chunk: piece) }
            (i, j) = (addEnd, removeEnd)
            c += 1
        }
        out.append(chunks: min(c, chunks.count)..<chunks.count, of: self)
        return out
    }

    /// Appends the chunks `range` of `run`, shared.
    private mutating func append(chunks range: Range<Int>, of run: DatomRun) {
        guard !range.isEmpty else { return }
        let shift = count - (range.lowerBound == 0 ? 0 : run.ends[range.lowerBound - 1])
        chunks.append(contentsOf: run.chunks[range])
        firsts.append(contentsOf: run.firsts[range])
        if shift == 0 {
            ends.append(contentsOf: run.ends[range])
        } else {
            for k in range { ends.append(run.ends[k] + shift) }
        }
    }

    /// The chunk `old` with the changes that fall in it: copied a stretch
    /// at a time between the changes, and cut in two when it passes twice
    /// the bulk size. Empty when nothing is left.
    private static func merge(_ old: CoreVector<Datom>, _ adds: ArraySlice<Datom>, _ removes: ArraySlice<Datom>,
                              _ order: Order) throws(CoreError) -> [CoreVector<Datom>] {
        let merged = CoreVector<Datom>()
        try merged.resize(to: old.count + adds.count)
        let written = old.withElements { p in
            merged.withMutableElements { q in
                var k = 0, w = 0
                var a = adds.startIndex, r = removes.startIndex
                func copy(upTo end: Int) {
                    guard end > k else { return }
                    (q.baseAddress! + w).update(from: p.baseAddress! + k, count: end - k)
                    w += end - k
                    k = end
                }
                while a < adds.endIndex || r < removes.endIndex {
                    // On equal keys the removal goes first: a value retracted and asserted again is replaced.
                    let isAdd = r == removes.endIndex || (a < adds.endIndex && less(adds[a], removes[r], order))
                    let d = isAdd ? adds[a] : removes[r]
                    var lo = k, hi = p.count
                    while lo < hi {
                        let mid = (lo + hi) / 2
                        if less(p[mid], d, order) { lo = mid + 1 } else { hi = mid }
                    }
                    copy(upTo: lo)
                    if isAdd {
                        q[w] = d
                        w += 1
                        a += 1
                    } else {
                        if k < p.count, p[k].e == d.e, p[k].v == d.v, p[k].vTag == d.vTag { k += 1 }
                        r += 1
                    }
                }
                copy(upTo: p.count)
                return w
            }
        }
        try merged.resize(to: written)
        guard written > 0 else { return [] }
        guard written > 2 * chunkSize else { return [merged] }
        // Pieces of about the bulk size.
        let pieces = (written + chunkSize - 1) / chunkSize
        return try merged.withElements { m throws(CoreError) in
            var out: [CoreVector<Datom>] = []
            for p in 0..<pieces {
                out.append(try chunk(UnsafeBufferPointer(rebasing: m[written * p / pieces..<written * (p + 1) / pieces])))
            }
            return out
        }
    }

    /// The chunk a datom belongs in: the last whose first datom is not after it (the first when none).
    private func chunkFor(_ d: Datom) -> Int {
        var lo = 0, hi = chunks.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if !Self.less(d, firsts[mid], order) { lo = mid + 1 } else { hi = mid }
        }
        return max(0, lo - 1)
    }
}

extension DatomRun {
    /// Finds entities' datoms in a run in entity order, each search going
    /// on from where the last one ended when the entity does not go back:
    /// entities in rising order cost a step each, as in a merge join, and
    /// others a binary search.
    struct EntitySeeker {
        let run: DatomRun
        /// The chunk and the position in the run where the last search ended.
        private var chunk = 0
        private var position = 0
        private var last: Int64 = .min

        init(_ run: DatomRun) { self.run = run }

        /// The positions of entity `e`'s datoms.
        @inline(__always)
        mutating func range(of e: Int64) -> Range<Int> {
            let chunks = run.chunks.count
            guard chunks > 0 else { return 0..<0 }
            if e < last { (chunk, position) = (0, 0) }
            last = e
            // The chunk the entity starts in: the last whose first datom's entity is below it,
            // galloping over the fences from the current one.
            var c = chunk
            if c + 1 < chunks, run.firsts[c + 1].e < e {
                var below = c + 1, step = 1, probe = c + 2
                while probe < chunks, run.firsts[probe].e < e {
                    below = probe
                    step *= 2
                    probe = below + step
                }
                var hi = min(probe, chunks)
                var lo = below + 1
                while lo < hi {
                    let mid = (lo + hi) / 2
                    if run.firsts[mid].e < e { lo = mid + 1 } else { hi = mid }
                }
                c = lo - 1
            }
            if c != chunk { (chunk, position) = (c, c == 0 ? 0 : run.ends[c - 1]) }
            let start = c == 0 ? 0 : run.ends[c - 1]
            // Within the chunk: gallop from where the last search ended.
            let lower = start + run.chunks[c].withElements { p in
                var lo = position - start, step = 1
                var hi = lo
                while hi < p.count, p[hi].e < e {
                    lo = hi + 1
                    hi += step
                    step *= 2
                }
                hi = min(hi, p.count)
                while lo < hi {
                    let mid = (lo + hi) / 2
                    if p[mid].e < e { lo = mid + 1 } else { hi = mid }
                }
                return lo
            }
            // The entity's datoms run on from there, perhaps into the next chunks.
            var upper = lower, k = c
            while k < chunks {
                let chunkStart = k == 0 ? 0 : run.ends[k - 1]
                let end = run.chunks[k].withElements { p in
                    var i = max(upper, chunkStart) - chunkStart
                    while i < p.count, p[i].e == e { i += 1 }
                    return chunkStart + i
                }
                upper = end
                guard end == run.ends[k] else { break }
                k += 1
            }
            position = lower
            return lower..<upper
        }
    }
}
