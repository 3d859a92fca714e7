/// Comparison of engine values: numbers across Int64 and Double by value,
/// other values within their type; values of unrelated types order by type
/// (for sorting and min/max) but never satisfy `<` and friends.
enum ValueOrder {
    static func isNumber(_ t: ValueTag) -> Bool { t == .int || t == .double || t == .ref }

    static func number(_ e: EncodedValue) -> Double {
        e.tag == .double ? Double(bitPattern: e.word) : Double(Int64(bitPattern: e.word))
    }

    /// Whether `e` is a double NaN: unequal to everything, itself included,
    /// and neither less nor greater than anything.
    @inline(__always)
    static func isNaN(_ e: EncodedValue) -> Bool { e.tag == .double && Double(bitPattern: e.word).isNaN }

    /// -1, 0 or 1 when the values are comparable; nil when their types are
    /// unrelated, or one is NaN.
    static func compare(_ a: EncodedValue, _ b: EncodedValue, in space: ValueSpace) -> Int? {
        if isNumber(a.tag) && isNumber(b.tag) { return compare(a, b) }
        guard a.tag == b.tag else { return nil }
        switch a.tag {
        case .bool, .instant:
            let x = Int64(bitPattern: a.word), y = Int64(bitPattern: b.word)
            return x < y ? -1 : (x > y ? 1 : 0)
        case .string, .keyword:
            if a.word == b.word { return 0 }
            let x = space.text(a.word), y = space.text(b.word)
            return x < y ? -1 : (x > y ? 1 : 0)
        case .uuid, .tuple, .map:
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

    /// A total order for sorting: comparable values by ``compare``, NaN
    /// after every other number (as Java's `Double.compare`), values of
    /// unrelated types by type rank.
    @inline(__always)
    static func sortCompare(_ a: EncodedValue, _ b: EncodedValue, in space: ValueSpace) -> Int {
        // Two doubles, the common case of min and max, without the general path.
        if a.tag == .double && b.tag == .double {
            let x = Double(bitPattern: a.word), y = Double(bitPattern: b.word)
            if x.isNaN || y.isNaN { return x.isNaN ? (y.isNaN ? 0 : 1) : -1 }
            return x < y ? -1 : (x > y ? 1 : 0)
        }
        return sortCompareAny(a, b, in: space)
    }

    private static func sortCompareAny(_ a: EncodedValue, _ b: EncodedValue, in space: ValueSpace) -> Int {
        if let c = compare(a, b, in: space) { return c }
        if isNumber(a.tag) && isNumber(b.tag) { return isNaN(a) ? (isNaN(b) ? 0 : 1) : -1 }
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
        case .map: 7
        }
    }

    /// Total order on boxed values, as Clojure's `compare`: numbers by
    /// value across integers and doubles (NaN last), strings and keywords
    /// by text, booleans false first, instants by time, UUIDs by text,
    /// tuples shorter first, then element by element; values of unrelated
    /// types by type rank.
    static func totalCompare(_ a: Value, _ b: Value) -> Int {
        func order<T: Comparable>(_ x: T, _ y: T) -> Int { x < y ? -1 : (x > y ? 1 : 0) }
        switch (a, b) {
        case (.int(let x), .int(let y)), (.int(let x), .ref(let y)), (.ref(let x), .int(let y)), (.ref(let x), .ref(let y)):
            return order(x, y)
        case (.double, .double), (.double, .int), (.double, .ref), (.int, .double), (.ref, .double):
            let (x, y) = (numberWord(a), numberWord(b))
            if let c = compare(x, y) { return c }
            return isNaN(x) ? (isNaN(y) ? 0 : 1) : -1
        case (.string(let x), .string(let y)): return order(x, y)
        case (.keyword(let x), .keyword(let y)): return order(x.text, y.text)
        case (.bool(let x), .bool(let y)): return order(x ? 1 : 0, y ? 1 : 0)
        case (.instant(let x), .instant(let y)): return order(x.millisecondsSinceEpoch, y.millisecondsSinceEpoch)
        case (.uuid(let x), .uuid(let y)): return order(x.uuidString, y.uuidString)
        case (.tuple(let x), .tuple(let y)):
            if x.count != y.count { return x.count < y.count ? -1 : 1 }
            for (p, q) in zip(x, y) {
                let c = totalCompare(p, q)
                if c != 0 { return c }
            }
            return 0
        case (.map, .map):
            // As Clojure orders maps it cannot compare: by size, then entry by entry.
            let (x, y) = (a.mapEntries, b.mapEntries)
            if x.count != y.count { return x.count < y.count ? -1 : 1 }
            for (p, q) in zip(x, y) {
                let c = totalCompare(p.key, q.key)
                if c != 0 { return c }
                let d = totalCompare(p.value, q.value)
                if d != 0 { return d }
            }
            return 0
        default:
            return order(rank(a.tag), rank(b.tag))
        }
    }

    /// -1, 0 or 1 for two boxed numbers (integers, entity ids and doubles,
    /// exactly across them, as `<` compares them); nil when either is not
    /// a number, or is NaN.
    static func compareNumbers(_ a: Value, _ b: Value) -> Int? {
        guard isNumber(a.tag), isNumber(b.tag) else { return nil }
        return compare(numberWord(a), numberWord(b))
    }

    /// A boxed number as an engine value (numbers need no interning).
    private static func numberWord(_ v: Value) -> EncodedValue {
        switch v {
        case .double(let d): EncodedValue(word: d.bitPattern, tag: .double)
        case .int(let i), .ref(let i): EncodedValue(word: UInt64(bitPattern: i), tag: .int)
        default: EncodedValue(word: 0, tag: .int)
        }
    }

    /// ``compare(_:_:in:)`` of two numbers, which needs no value space.
    private static func compare(_ a: EncodedValue, _ b: EncodedValue) -> Int? {
        if isNaN(a) || isNaN(b) { return nil }
        if a.tag != .double && b.tag != .double {
            let x = Int64(bitPattern: a.word), y = Int64(bitPattern: b.word)
            return x < y ? -1 : (x > y ? 1 : 0)
        }
        if a.tag == .double && b.tag == .double || abs(number(a)) < 9.0e15 && abs(number(b)) < 9.0e15 {
            let x = number(a), y = number(b)
            return x < y ? -1 : (x > y ? 1 : 0)
        }
        return exactCompare(a, b)
    }
}
