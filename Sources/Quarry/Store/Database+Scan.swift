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
        _ = try scan(f, from: 0) { d in
            try body(d)
            return true
        }
    }

    /// Walks the datoms the indexes offer for `f` (its candidates), from
    /// the `start`-th on, calling `body` with each that matches until it
    /// returns false. Returns the candidate to resume at, or nil once
    /// every one was walked: a consumer with a full batch stops and comes
    /// back. A filter without an attribute walks every attribute in id order.
    @inline(__always)
    func scan(_ f: DatomFilter, from start: Int, _ body: (Datom) throws -> Bool) rethrows -> Int? {
        if let a = f.a {
            guard let index = attributeIndexes[a] else { return nil }
            return try index.scan(f, from: start, body)
        }
        return try Self.walk(orderedIndexes.lazy.map { $0.candidates(f) }, from: start, f, body)
    }

    /// ``walk(_:_:from:_:_:)`` over several ranges taken one after
    /// the other as one sequence of candidates, from the `start`-th on:
    /// the candidate to resume at, or nil once every one was walked.
    @inline(__always)
    static func walk(_ parts: some Sequence<(DatomRun, Range<Int>)>, from start: Int, _ f: DatomFilter,
                     _ body: (Datom) throws -> Bool) rethrows -> Int? {
        var before = 0
        for (run, range) in parts {
            if start < before + range.count,
               let stop = try walk(run, range, from: max(0, start - before), f, body) {
                return before + stop
            }
            before += range.count
        }
        return nil
    }

    /// Walks `range` of `run` from its `offset`-th datom, calling `body`
    /// with each that matches `f` until it returns false; the offset to
    /// resume at, or nil at the end of the range.
    @inline(__always)
    static func walk(_ run: DatomRun, _ range: Range<Int>, from offset: Int, _ f: DatomFilter,
                     _ body: (Datom) throws -> Bool) rethrows -> Int? {
        var i = range.lowerBound + offset
        var stopped = false
        try run.forEachSlice(i..<range.upperBound) { slice in
            for d in slice {
                i += 1
                if matches(d, f), try !body(d) {
                    stopped = true
                    return false
                }
            }
            return true
        }
        return stopped && i < range.upperBound ? i - range.lowerBound : nil
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
        if let a = f.a { return attributeIndexes[a]?.candidates(f).1.count ?? 0 }
        return orderedIndexes.reduce(0) { $0 + $1.candidates(f).1.count }
    }

    @inline(__always)
    static func matches(_ x: Datom, _ f: DatomFilter) -> Bool {
        if let e = f.e { if x.e != e { return false } } else if f.a == nil && systemEntities.contains(x.e) { return false }
        if let a = f.a, x.a != a { return false }
        if let v = f.v, x.v != v.word || x.vTag != v.tag.rawValue { return false }
        if let tx = f.tx, x.tx != tx { return false }
        return true
    }
}
