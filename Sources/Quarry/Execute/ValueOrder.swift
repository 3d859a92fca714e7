/// Comparison of engine values: numbers across Int64 and Double by value,
/// other values within their type; values of unrelated types order by type
/// (for sorting and min/max) but never satisfy `<` and friends.
enum ValueOrder {
    static func isNumber(_ t: ValueTag) -> Bool { t == .int || t == .double || t == .ref }

    static func number(_ e: EncodedValue) -> Double {
        e.tag == .double ? Double(bitPattern: e.word) : Double(Int64(bitPattern: e.word))
    }

    /// -1, 0 or 1 when the values are comparable; nil when their types are unrelated.
    static func compare(_ a: EncodedValue, _ b: EncodedValue, in space: ValueSpace) -> Int? {
        if isNumber(a.tag) && isNumber(b.tag) {
            if a.tag != .double && b.tag != .double {
                let x = Int64(bitPattern: a.word), y = Int64(bitPattern: b.word)
                return x < y ? -1 : (x > y ? 1 : 0)
            }
            if a.tag == .double && b.tag == .double || abs(number(a)) < 9.0e15 && abs(number(b)) < 9.0e15 {
                let x = number(a), y = number(b)
                return x < y ? -1 : (x > y ? 1 : 0)
            }
            // Beyond 2^53 a Double cannot tell integers apart: compare exactly.
            return exactCompare(a, b)
        }
        guard a.tag == b.tag else { return nil }
        switch a.tag {
        case .bool, .instant:
            let x = Int64(bitPattern: a.word), y = Int64(bitPattern: b.word)
            return x < y ? -1 : (x > y ? 1 : 0)
        case .string, .keyword:
            if a.word == b.word { return 0 }
            let x = space.text(a.word), y = space.text(b.word)
            return x < y ? -1 : (x > y ? 1 : 0)
        case .uuid, .tuple:
            if a.word == b.word { return 0 }
            return totalCompare(space.decode(a), space.decode(b))
        default:
            return nil
        }
    }

    private static func exactCompare(_ a: EncodedValue, _ b: EncodedValue) -> Int {
        let (i, d, flip) = a.tag == .double ? (Int64(bitPattern: b.word), Double(bitPattern: a.word), -1)
            : (Int64(bitPattern: a.word), Double(bitPattern: b.word), 1)
        if d.isNaN { return flip }
        if d >= 9.3e18 { return -flip }
        if d <= -9.3e18 { return flip }
        let t = Int64(d.rounded(.towardZero))
        if i != t { return (i < t ? -1 : 1) * flip }
        let frac = d - Double(t)
        return (frac > 0 ? -1 : (frac < 0 ? 1 : 0)) * flip
    }

    /// A total order for sorting: comparable values by ``compare``, others by type rank.
    @inline(__always)
    static func sortCompare(_ a: EncodedValue, _ b: EncodedValue, in space: ValueSpace) -> Int {
        // Two doubles, the common case of min and max, without the general path.
        if a.tag == .double && b.tag == .double {
            let x = Double(bitPattern: a.word), y = Double(bitPattern: b.word)
            return x < y ? -1 : (x > y ? 1 : 0)
        }
        return sortCompareAny(a, b, in: space)
    }

    private static func sortCompareAny(_ a: EncodedValue, _ b: EncodedValue, in space: ValueSpace) -> Int {
        if let c = compare(a, b, in: space) { return c }
        return rank(a.tag) < rank(b.tag) ? -1 : (rank(a.tag) > rank(b.tag) ? 1 : 0)
    }

    private static func rank(_ t: ValueTag) -> Int {
        switch t {
        case .bool: 0
        case .int, .ref, .double: 1
        case .instant: 2
        case .string: 3
        case .keyword: 4
        case .uuid: 5
        case .tuple: 6
        }
    }

    /// Total order on boxed values (tuples, UUIDs).
    static func totalCompare(_ a: Value, _ b: Value) -> Int {
        switch (a, b) {
        case (.uuid(let x), .uuid(let y)):
            let s = x.uuidString, t = y.uuidString
            return s < t ? -1 : (s > t ? 1 : 0)
        case (.tuple(let x), .tuple(let y)):
            for (p, q) in zip(x, y) {
                let c = totalCompare(p, q)
                if c != 0 { return c }
            }
            return x.count < y.count ? -1 : (x.count > y.count ? 1 : 0)
        default:
            let s = EDNWriter.write(a), t = EDNWriter.write(b)
            return s < t ? -1 : (s > t ? 1 : 0)
        }
    }
}
