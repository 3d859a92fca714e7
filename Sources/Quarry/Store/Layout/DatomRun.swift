import QuarryCore

/// The datoms of one attribute in one order, held as sorted chunks of at
/// most 1,024 datoms (512 when built at once) and a small directory of
/// them: a persistent sequence, a B-tree of height two.
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
    /// Per chunk, where its datoms lie (a chunk never grows once built, so
    /// they stay put while the run holds it), and its first and last
    /// entity: a lookup by entity finds the chunk and guesses the place in
    /// it from these alone, before it touches the chunk.
    private(set) var bases: ContiguousArray<UnsafePointer<Datom>> = []
    private(set) var firstEntities: ContiguousArray<Int64> = []
    private(set) var lastEntities: ContiguousArray<Int64> = []

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
        guard chunk.count > 0, let base = chunk.stableBase else { return }
        chunks.append(chunk)
        ends.append(count + chunk.count)
        firsts.append(base[0])
        bases.append(base)
        firstEntities.append(base[0].e)
        lastEntities.append(base[chunk.count - 1].e)
    }

    /// The datoms of chunk `c`.
    @inline(__always)
    func slice(_ c: Int) -> UnsafeBufferPointer<Datom> {
        let start = c == 0 ? 0 : ends[c - 1]
        return UnsafeBufferPointer(start: bases[c], count: ends[c] - start)
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

    /// In value order, the positions of the datoms whose value has `tag`
    /// and a word within `words` (as unsigned): a stretch of a range scan.
    func positions(tag: ValueTag, words: ClosedRange<UInt64>) -> Range<Int> {
        precondition(order == .value, "a stretch of values in a run in entity order")
        guard !chunks.isEmpty else { return 0..<0 }
        let lower = bound(Key(v: EncodedValue(word: words.lowerBound, tag: tag)), above: false)
        return lower..<bound(Key(v: EncodedValue(word: words.upperBound, tag: tag)), above: true, from: lower)
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
        let c = lastChunk(from: from == 0 ? 0 : chunk(at: from), whereFirst: before)
        let start = c == 0 ? 0 : ends[c - 1]
        let p = slice(c)
        var first = max(0, from - start), past = p.count
        while first < past {
            let mid = (first + past) / 2
            if before(p[mid]) { first = mid + 1 } else { past = mid }
        }
        return start + first
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
        return slice(c)[i - (c == 0 ? 0 : ends[c - 1])]
    }

    /// The datoms from position `i` up to `end` that lie in `i`'s chunk,
    /// and that chunk: one piece of a walk, got without a closure (a
    /// closure's captures cost a retain and a release each per call, more
    /// than an entity's one datom). `hint`: the chunk `i` likely lies in
    /// (checked), saving a search.
    @inline(__always)
    func piece(from i: Int, upTo end: Int, chunk hint: Int? = nil) -> (datoms: UnsafeBufferPointer<Datom>, chunk: Int) {
        let c = if let hint, hint < ends.count, i < ends[hint], hint == 0 || ends[hint - 1] <= i { hint } else { chunk(at: i) }
        let start = c == 0 ? 0 : ends[c - 1]
        return (UnsafeBufferPointer(start: bases[c] + (i - start), count: Swift.min(end, ends[c]) - i), c)
    }

    /// Calls `body` with the datoms of `range` as contiguous slices, one
    /// per chunk they span, in order, until it returns false. `hint`: the
    /// chunk the range likely starts in (checked), saving a search.
    @inline(__always)
    func forEachSlice(_ range: Range<Int>, chunk hint: Int? = nil,
                      _ body: (UnsafeBufferPointer<Datom>) throws -> Bool) rethrows {
        var i = range.lowerBound, c = hint
        while i < range.upperBound {
            let p = piece(from: i, upTo: range.upperBound, chunk: c)
            guard try body(p.datoms) else { return }
            i += p.datoms.count
            c = p.chunk + 1
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
        out.bases.reserveCapacity(chunks.count + 2)
        out.firstEntities.reserveCapacity(chunks.count + 2)
        out.lastEntities.reserveCapacity(chunks.count + 2)
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
        bases.append(contentsOf: run.bases[range])
        firstEntities.append(contentsOf: run.firstEntities[range])
        lastEntities.append(contentsOf: run.lastEntities[range])
        if shift == 0 {
            ends.append(contentsOf: run.ends[range])
        } else {
            for k in range { ends.append(run.ends[k] + shift) }
        }
    }

    /// The chunk `old` with the changes that fall in it: copied a stretch
    /// at a time between the changes, and cut into pieces of about the
    /// bulk size when it passes twice that. Empty when nothing is left.
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
        let order = self.order
        return lastChunk(from: 0, whereFirst: { !Self.less(d, $0, order) })
    }

    /// The last chunk from `from` on whose first datom satisfies `holds`
    /// (which holds for a prefix of the chunks), or `from` when none does.
    @inline(__always)
    private func lastChunk(from: Int, whereFirst holds: (Datom) -> Bool) -> Int {
        var lo = from, hi = chunks.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if holds(firsts[mid]) { lo = mid + 1 } else { hi = mid }
        }
        return max(from, lo - 1)
    }
}

extension DatomRun {
    /// Finds entities' datoms in a run in entity order. Each search starts
    /// from a guess and gallops to the answer: for an entity above the last
    /// one sought, from where that search ended, so entities in rising
    /// order cost a step each (a merge join); otherwise from where the
    /// entity would lie were ids spread evenly over the run and over the
    /// chunk, found from the run's per-chunk figures alone.
    struct EntitySeeker {
        let run: DatomRun
        /// Where the last search ended: its chunk (where the range it gave
        /// starts, or the chunk before) and its offset in it.
        private(set) var chunk = 0
        private var offset = 0
        private var last: Int64 = .min
        /// The chunk the last search ended in, as the directory gives it:
        /// where its datoms lie, how many, where it starts in the run, its
        /// last entity. Kept so that a search rising within it reads no
        /// directory entry (nil until a search has found a chunk).
        private var base: UnsafePointer<Datom>?
        private var count = 0
        private var start = 0
        private var lastEntity: Int64 = .min

        init(_ run: DatomRun) { self.run = run }

        /// The positions of entity `e`'s datoms.
        @inline(__always)
        mutating func range(of e: Int64) -> Range<Int> {
            let found = locate(e)
            return found.position..<(found.rest.isEmpty ? found.position + found.first.count : found.rest.upperBound)
        }

        /// Entity `e`'s datoms in the chunk where they start, their
        /// position in the run, and the positions of the rest, in the
        /// chunks after (nearly always none: an entity holds few datoms of
        /// one attribute). A lookup reads the first part in place, with no
        /// second search for the chunk (``DatomRun/piece(from:upTo:chunk:)``).
        @inline(__always)
        mutating func locate(_ e: Int64) -> (first: UnsafeBufferPointer<Datom>, position: Int, rest: Range<Int>) {
            // Rising within the chunk the last search ended in (a merge join's
            // walk): a step or two from where it ended, the chunk's figures at hand.
            if e >= last, e <= lastEntity, let base {
                last = e
                var i = offset, steps = 0
                while i < count, base[i].e < e, steps < 4 {
                    i += 1
                    steps += 1
                }
                if i < count, base[i].e < e { i = Self.firstAtLeast(e, count: count, near: i) { base[$0].e } }
                offset = i
                var j = i
                while j < count, base[j].e == e { j += 1 }
                if j < count { return (UnsafeBufferPointer(start: base + i, count: j - i), start + i, 0..<0) }
            }
            return search(e)
        }

        /// Where a rising walk goes on without a search (the chunk the
        /// last search ended in), for a loop in C to continue it
        /// (``LookupFold``, ``extend(_:from:entityColumn:into:room:output:)``); nil before the first search.
        var window: qc_lookup_window? {
            guard let base else { return nil }
            return qc_lookup_window(datoms: UnsafeRawPointer(base), count: Int64(count), last_entity: lastEntity,
                                    offset: Int64(offset), last: last)
        }

        /// Takes up the walk where a loop through ``window`` left it.
        mutating func walked(_ w: qc_lookup_window) {
            (offset, last) = (Int(w.offset), w.last)
        }

        /// ``locate(_:)`` from the run's directory.
        private mutating func search(_ e: Int64) -> (first: UnsafeBufferPointer<Datom>, position: Int, rest: Range<Int>) {
            guard !run.chunks.isEmpty else { return (UnsafeBufferPointer(start: nil, count: 0), 0, 0..<0) }
            let rising = e >= last
            last = e
            // Rising within the chunk the last search ended in: no fence to search. Past it, a
            // guess from the ids finds the next chunk as fast as galloping and a far one faster.
            let c = rising && e <= run.lastEntities[chunk] ? chunk : chunkOf(e, near: nil)
            let p = run.slice(c)
            let lower = Self.firstAtLeast(e, count: p.count, near: rising && c == chunk ? offset : guess(e, in: c)) { p[$0].e }
            (chunk, offset) = (c, lower)
            let start = c == 0 ? 0 : run.ends[c - 1]
            (base, count, self.start, lastEntity) = (p.baseAddress, p.count, start, run.lastEntities[c])
            var i = lower
            while i < p.count, p[i].e == e { i += 1 }
            let first = UnsafeBufferPointer(rebasing: p[lower..<i])
            guard i == p.count else { return (first, start + lower, 0..<0) }
            // The entity's datoms reach the chunk's end: they may run on into the next chunks.
            let restStart = start + p.count
            var upper = restStart, k = c + 1
            while k < run.chunks.count {
                let q = run.slice(k)
                var j = 0
                while j < q.count, q[j].e == e { j += 1 }
                upper += j
                guard j == q.count else { break }
                k += 1
            }
            return (first, start + lower, restStart..<upper)
        }

        /// Asks the memory for where entity `e`'s datoms likely lie, ahead
        /// of a lookup of them: found from the per-chunk figures, without
        /// touching a chunk. An entity just above the last one sought, within the next chunk,
        /// is left to the hardware, which sees the walk.
        @inline(__always)
        func prefetch(_ e: Int64) {
            guard !run.chunks.isEmpty else { return }
            if e >= last && (chunk + 2 >= run.chunks.count || e < run.firstEntities[chunk + 2]) { return }
            let c = chunkOf(e, near: nil)
            qc_prefetch(UnsafeRawPointer(run.bases[c] + guess(e, in: c)))
        }

        /// The chunk entity `e`'s datoms start in: the last whose first
        /// entity is below `e` (the first when none is).
        @inline(__always)
        private func chunkOf(_ e: Int64, near hint: Int?) -> Int {
            run.firstEntities.withUnsafeBufferPointer { f in
                let near = hint ?? Self.spread(e, f[0], run.lastEntities[f.count - 1], f.count)
                return max(0, Self.firstAtLeast(e, count: f.count, near: near) { f[$0] } - 1)
            }
        }

        /// Where in chunk `c` entity `e` would lie were its ids spread evenly.
        @inline(__always)
        private func guess(_ e: Int64, in c: Int) -> Int {
            let count = run.ends[c] - (c == 0 ? 0 : run.ends[c - 1])
            return Self.spread(e, run.firstEntities[c], run.lastEntities[c], count)
        }

        /// The place of `e` among `n` slots holding `first` to `last` evenly.
        @inline(__always)
        static func spread(_ e: Int64, _ first: Int64, _ last: Int64, _ n: Int) -> Int {
            let span = last &- first
            if e <= first || span <= 0 { return 0 }
            if e >= last { return n - 1 }
            return min(n - 1, Int(Double(e &- first) / Double(span) * Double(n - 1)))
        }

        /// The first of `count` rising keys (`key(i)`) at least `e`,
        /// galloping from slot `near` up or down, then halving.
        @inline(__always)
        static func firstAtLeast(_ e: Int64, count: Int, near: Int, _ key: (Int) -> Int64) -> Int {
            guard count > 0 else { return 0 }
            // The answer lies in (lo, hi]: key(lo) < e or lo = -1; key(hi) >= e or hi = count.
            var lo: Int, hi: Int, step = 1
            let g = min(max(near, 0), count - 1)
            if key(g) < e {
                (lo, hi) = (g, g + 1)
                while hi < count, key(hi) < e {
                    lo = hi
                    step *= 2
                    hi = lo + step
                }
                hi = min(hi, count)
            } else {
                (lo, hi) = (g - 1, g)
                while lo >= 0, key(lo) >= e {
                    hi = lo
                    step *= 2
                    lo = hi - step
                }
                lo = max(lo, -1)
            }
            while hi - lo > 1 {
                let mid = (lo + hi) / 2
                if key(mid) < e { lo = mid } else { hi = mid }
            }
            return hi
        }
    }
}
