/// Bounds on a value that comparisons with constants put on it (`[(> ?s
/// 50000)]`), as the stretches of an attribute's value order that can hold
/// such values: a scan reads those instead of the whole attribute.
///
/// The stretches are a superset: bounds are widened past rounding, and
/// the comparisons still run on what the scan finds. They are exact about
/// types: `<` and friends are false between unrelated types, so bounds by
/// a number leave every value that is not a number out, and bounds by an
/// instant every value that is not an instant.
struct ValueBounds: Equatable {
    /// Datoms of one tag whose words (as unsigned) lie in a range.
    typealias Stretch = (tag: ValueTag, words: ClosedRange<UInt64>)

    enum Domain: Equatable {
        /// Integers (and entity ids) and doubles, compared by value.
        case number
        /// Instants, compared with instants only.
        case instant
    }

    let domain: Domain
    /// For integer words (ints, refs, instants' milliseconds): inclusive.
    private(set) var lowInt = Int64.min, highInt = Int64.max
    /// For doubles: inclusive.
    private(set) var lowDouble = -Double.infinity, highDouble = Double.infinity

    init(domain: Domain) {
        self.domain = domain
    }

    /// The domain a comparison with `constant` bounds values to; nil for a
    /// value no stretch of the order describes (strings and keywords
    /// order by their interned ids, not their text).
    static func domain(of constant: Value) -> Domain? {
        switch constant {
        case .int, .ref: .number
        case .double(let d): d.isNaN ? nil : .number
        case .instant: .instant
        default: nil
        }
    }

    /// Values at least `constant` (strictness is left to the comparison).
    mutating func atLeast(_ constant: Value) {
        switch constant {
        case .int(let i), .ref(let i):
            lowInt = max(lowInt, i)
            lowDouble = max(lowDouble, Double(i).nextDown)
        case .double(let d):
            lowDouble = max(lowDouble, d)
            lowInt = max(lowInt, Self.integer(d.rounded(.down)))
        case .instant(let t):
            lowInt = max(lowInt, t.millisecondsSinceEpoch)
        default:
            break
        }
    }

    /// Values at most `constant`.
    mutating func atMost(_ constant: Value) {
        switch constant {
        case .int(let i), .ref(let i):
            highInt = min(highInt, i)
            highDouble = min(highDouble, Double(i).nextUp)
        case .double(let d):
            highDouble = min(highDouble, d)
            highInt = min(highInt, Self.integer(d.rounded(.up)))
        case .instant(let t):
            highInt = min(highInt, t.millisecondsSinceEpoch)
        default:
            break
        }
    }

    /// A whole double as an Int64, saturating past the type's range (2^63
    /// is the first double above Int64.max).
    private static func integer(_ d: Double) -> Int64 {
        if d >= 9_223_372_036_854_775_808.0 { return .max }
        if d < -9_223_372_036_854_775_808.0 { return .min }
        return Int64(d)
    }

    /// The stretches of the value order (tag, then word as unsigned) that
    /// hold every value within the bounds, in that order.
    var stretches: [Stretch] {
        switch domain {
        case .number:
            Self.signed(lowInt, highInt).map { (ValueTag.int, $0) }
                + Self.doubles(lowDouble, highDouble).map { (ValueTag.double, $0) }
                + Self.signed(lowInt, highInt).map { (ValueTag.ref, $0) }
        case .instant:
            Self.signed(lowInt, highInt).map { (ValueTag.instant, $0) }
        }
    }

    /// Two's complement words in unsigned order: non-negative values
    /// first, then the negative ones, each rising.
    private static func signed(_ low: Int64, _ high: Int64) -> [ClosedRange<UInt64>] {
        guard low <= high else { return [] }
        if low >= 0 { return words(UInt64(low), UInt64(high)) }
        if high < 0 { return words(UInt64(bitPattern: low), UInt64(bitPattern: high)) }
        return words(0, UInt64(high)) + words(UInt64(bitPattern: low), .max)
    }

    /// The words from `first` through `last`, none when `last` is below
    /// `first`: the cases above never make one, and a range built the
    /// other way round would trap.
    private static func words(_ first: UInt64, _ last: UInt64) -> [ClosedRange<UInt64>] {
        first <= last ? [first...last] : []
    }

    /// Double bit patterns in unsigned order: non-negative values rising,
    /// then negative ones by rising magnitude (falling value). NaN, above
    /// +infinity's pattern, is never within bounds.
    private static func doubles(_ low: Double, _ high: Double) -> [ClosedRange<UInt64>] {
        guard low <= high else { return [] }
        var out: [ClosedRange<UInt64>] = []
        if high >= 0 { out += words(max(low, 0).bitPattern, high.bitPattern) }
        if low < 0 { out += words((high < 0 ? high : -0.0).bitPattern, low.bitPattern) }
        return out
    }
}

/// A scan kept to stretches of an attribute's value order, and the
/// comparisons they come from, as EXPLAIN names them.
struct ValueRangeScan {
    let stretches: [ValueBounds.Stretch]
    let comparisons: String
}
