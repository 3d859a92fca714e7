import QuarryCore

/// Which datoms a scan wants: any of e, a, v, tx may be fixed.
struct DatomFilter: Equatable {
    var e: Int64?
    var a: UInt32?
    var v: EncodedValue?
    var tx: Int64?

    /// Fixes position `position` of `[e a v tx]` (0...3) to `value`;
    /// false when no datom can hold that value there (an entity or tx
    /// that is not an integer, an attribute that is not a keyword id).
    mutating func fix(_ position: Int, to value: EncodedValue) -> Bool {
        switch position {
        case 0, 3:
            guard value.tag == .int || value.tag == .ref else { return false }
            if position == 0 { e = Int64(bitPattern: value.word) } else { tx = Int64(bitPattern: value.word) }
        case 1:
            guard value.tag == .keyword, let id = UInt32(exactly: value.word) else { return false }
            a = id
        default:
            v = value
        }
        return true
    }
}

extension Database {
    /// The index a filter is served from, named as in EXPLAIN.
    enum IndexName: String {
        case eavt = "EAVT", aevt = "AEVT", avet = "AVET", vaet = "VAET"
    }

    /// The index a filter uses: the one whose key starts with the most fixed positions.
    func index(for f: DatomFilter) -> IndexName { Self.index(for: f) }

    @inline(__always)
    static func index(for f: DatomFilter) -> IndexName {
        if f.e != nil { return .eavt }
        if f.a != nil { return f.v != nil ? .avet : .aevt }
        if f.v != nil { return .vaet }
        return .eavt
    }

    /// Calls `body` with every datom that matches `f`, in the order of the
    /// index serving it. No allocation per datom.
    @inline(__always)
    func scan(_ f: DatomFilter, _ body: (Datom) throws -> Void) rethrows {
        try withIndexRange(f) { d, perm, range in try Self.forEachMatch(f, d, perm, range, body) }
    }

    @inline(__always)
    private static func forEachMatch(_ f: DatomFilter, _ d: UnsafeBufferPointer<Datom>, _ perm: UnsafeBufferPointer<UInt32>?,
                                     _ range: Range<Int>, _ body: (Datom) throws -> Void) rethrows {
        for i in range {
            let x = Indexes.datom(i, of: d, in: perm)
            if matches(x, f) { try body(x) }
        }
    }

    /// The entity whose `attribute` holds `value` (for a unique attribute,
    /// the only one; otherwise the last in AVET order), if any.
    func entity(withValue value: EncodedValue, of attribute: UInt32) -> Int64? {
        var found: Int64?
        scan(DatomFilter(a: attribute, v: value)) { found = $0.e }
        return found
    }

    /// How many datoms the index range of `f` holds: exact when every fixed
    /// position is in the index key, an upper bound otherwise.
    func rangeCount(_ f: DatomFilter) -> Int {
        withIndexRange(f) { _, _, range in range.count }
    }

    /// The datoms and their index permutations, for the length of a call.
    struct Indexes {
        let datoms: UnsafeBufferPointer<Datom>
        let aevt: UnsafeBufferPointer<UInt32>
        let avet: UnsafeBufferPointer<UInt32>
        let vaet: UnsafeBufferPointer<UInt32>
        let entityStarts: UnsafeBufferPointer<UInt32>?

        /// The positions of entity `e`'s datoms through the per-entity
        /// offsets (empty for an id with none); nil without the offsets or
        /// past the ids they cover.
        @inline(__always)
        func entityRange(_ e: Int64) -> Range<Int>? {
            guard let starts = entityStarts else { return nil }
            guard e < starts.count - 1 else { return nil }
            guard e >= 0 else { return 0..<0 }
            return Int(starts[Int(e)])..<Int(starts[Int(e) + 1])
        }

        /// The positions of entity `e`'s datoms: through the offsets where
        /// they cover `e`, by binary search otherwise.
        @inline(__always)
        func entityPositions(_ e: Int64) -> Range<Int> {
            if let r = entityRange(e) { return r }
            let d = datoms
            return Database.range(0..<d.count, { d[$0] }, Key(e: e))
        }

        /// Asks the memory for the datoms of entity `e` (up to four cache
        /// lines), ahead of a lookup of them; nothing for an unknown entity.
        @inline(__always)
        func prefetchEntity(_ e: Int64) {
            guard let r = entityRange(e), !r.isEmpty else { return }
            let first = UnsafeRawPointer(datoms.baseAddress! + r.lowerBound)
            let bytes = min(r.count * MemoryLayout<Datom>.stride, 256)
            for offset in stride(from: 0, to: bytes, by: 64) { qc_prefetch(first + offset) }
            qc_prefetch(first + bytes - 1)  // the line a misaligned run ends in
        }

        /// Asks the memory for the datom at position `i` of the index with
        /// permutation `perm`.
        @inline(__always)
        func prefetchDatom(at i: Int, in perm: UnsafeBufferPointer<UInt32>) {
            qc_prefetch(datoms.baseAddress! + Int(perm[i]))
        }

        /// The datom at position `i` of an index: through its permutation,
        /// or directly for EAVT (nil permutation).
        @inline(__always)
        static func datom(_ i: Int, of d: UnsafeBufferPointer<Datom>, in perm: UnsafeBufferPointer<UInt32>?) -> Datom {
            if let perm { d[Int(perm[i])] } else { d[i] }
        }

        /// The permutation of the index serving `f` (nil for EAVT, the
        /// datoms' own order) and the range of positions in it whose key
        /// matches the fixed positions of `f`.
        @inline(__always)
        func range(_ f: DatomFilter) -> (UnsafeBufferPointer<UInt32>?, Range<Int>) {
            let d = datoms
            let name = Database.index(for: f)
            if name == .eavt {
                // The key is a prefix of E, A, V: a fixed value with a free
                // attribute is not contiguous in EAVT and is left to `matches`.
                let key = Key(e: f.e, a: f.a, v: f.a == nil ? nil : f.v)
                guard let e = f.e else { return (nil, 0..<d.count) }
                guard let entity = entityRange(e) else { return (nil, Database.range(0..<d.count, { d[$0] }, key)) }
                // An entity's few datoms are cheaper to filter (`matches`) than to search.
                return (nil, f.a == nil || entity.count <= 16 ? entity : Database.range(entity, { d[$0] }, key))
            }
            let p = name == .aevt ? aevt : (name == .avet ? avet : vaet)
            // VAET's order starts with the value: its key leaves the attribute out.
            let key = name == .vaet ? Key(v: f.v) : Key(a: f.a, v: f.v)
            return (p, Database.range(0..<p.count, { d[Int(p[$0])] }, key))
        }
    }

    /// Calls `body` with the indexes' memory.
    func withIndexes<R>(_ body: (Indexes) throws -> R) rethrows -> R {
        try datoms.withElements { d in
            try aevt.withElements { ae in
                try avet.withElements { av in
                    try vaet.withElements { va in
                        if let entityStarts {
                            try entityStarts.withElements { s in
                                try body(Indexes(datoms: d, aevt: ae, avet: av, vaet: va, entityStarts: s))
                            }
                        } else {
                            try body(Indexes(datoms: d, aevt: ae, avet: av, vaet: va, entityStarts: nil))
                        }
                    }
                }
            }
        }
    }

    /// Calls `body` with the datoms, the permutation of the index serving
    /// `f` and the range of positions in it matching `f`'s fixed positions.
    private func withIndexRange<R>(
        _ f: DatomFilter, _ body: (UnsafeBufferPointer<Datom>, UnsafeBufferPointer<UInt32>?, Range<Int>) throws -> R
    ) rethrows -> R {
        try withIndexes { indexes in
            let (perm, range) = indexes.range(f)
            return try body(indexes.datoms, perm, range)
        }
    }

    @inline(__always)
    static func matches(_ x: Datom, _ f: DatomFilter) -> Bool {
        if let e = f.e { if x.e != e { return false } } else if f.a == nil && systemEntities.contains(x.e) { return false }
        if let a = f.a, x.a != a { return false }
        if let v = f.v, x.v != v.word || x.vTag != v.tag.rawValue { return false }
        if let tx = f.tx, x.tx != tx { return false }
        return true
    }

    /// A key prefix of an index order: the fixed leading positions a range
    /// of the index shares. A struct rather than a closure, so that a lookup
    /// allocates nothing.
    struct Key {
        var e: Int64?
        var a: UInt32?
        var v: EncodedValue?

        /// -1 when `x` sorts before the prefix, 1 after, 0 inside.
        @inline(__always)
        func compare(_ x: Datom) -> Int {
            if let e, x.e != e { return x.e < e ? -1 : 1 }
            if let a, x.a != a { return x.a < a ? -1 : 1 }
            if let v {
                if x.vTag != v.tag.rawValue { return x.vTag < v.tag.rawValue ? -1 : 1 }
                if x.v != v.word { return x.v < v.word ? -1 : 1 }
            }
            return 0
        }
    }

    /// The positions in `within` whose datom compares 0 to the key, for an
    /// order in which such datoms are contiguous: a binary search for the
    /// first, then a galloping search for the end, since most ranges a join
    /// looks up are a few datoms long.
    @inline(__always)
    static func range(_ within: Range<Int>, _ datom: (Int) -> Datom, _ key: Key) -> Range<Int> {
        var lo = within.lowerBound, hi = within.upperBound
        while lo < hi {
            let mid = (lo + hi) / 2
            if key.compare(datom(mid)) < 0 { lo = mid + 1 } else { hi = mid }
        }
        // Gallop from the first: probes at lo, lo + 1, lo + 3, lo + 7, ...
        // until one compares above; then a binary search between the last two.
        var below = lo, probe = lo, step = 1
        while probe < within.upperBound, key.compare(datom(probe)) <= 0 {
            below = probe + 1
            probe += step
            step *= 2
        }
        var end = min(probe, within.upperBound)
        while below < end {
            let mid = (below + end) / 2
            if key.compare(datom(mid)) <= 0 { below = mid + 1 } else { end = mid }
        }
        return lo..<below
    }
}
