/// The running state of one aggregate over one group's values, for the
/// aggregates that need no more than that: `count`, `sum`, `avg`, `min`
/// and `max` (without n). Folded a value at a time in the group's row
/// order; ``encoded(_:of:space:)`` equals ``Aggregates/compute(_:_:space:random:functions:)``
/// over the same values, errors included.
struct RunningAggregate {
    enum Kind {
        case count, sum, avg, min, max

        /// The kind of aggregate `element`, if it has a running form.
        init?(_ element: FindElement) {
            guard case .aggregate(let name, let args, _, _) = element, args.isEmpty else { return nil }
            switch name {
            case "count": self = .count
            case "sum": self = .sum
            case "avg": self = .avg
            case "min": self = .min
            case "max": self = .max
            default: return nil
            }
        }
    }

    var count = 0
    var allIntegers = true
    var integerSum: Int64 = 0
    var overflowed = false
    var doubleSum = 0.0
    var best: EncodedValue?
    var nonNumber: EncodedValue?

    @inline(__always)
    mutating func fold(_ v: EncodedValue, kind: Kind, space: ValueSpace) {
        count += 1
        switch kind {
        case .min, .max:
            if let best {
                let c = ValueOrder.sortCompare(v, best, in: space)
                if kind == .min ? c < 0 : c >= 0 { self.best = v }
            } else {
                best = v
            }
        case .sum, .avg:
            guard ValueOrder.isNumber(v.tag) else {
                if nonNumber == nil { nonNumber = v }
                return
            }
            doubleSum += ValueOrder.number(v)
            if v.tag == .int || v.tag == .ref {
                let (s, o) = integerSum.addingReportingOverflow(Int64(bitPattern: v.word))
                integerSum = s
                overflowed = overflowed || o
            } else {
                allIntegers = false
            }
        case .count:
            break
        }
    }

    /// The aggregate of `kind` over the values folded (at least one),
    /// encoded; `element` is the aggregate, named only in an error. Found
    /// by kind, not by the aggregate's name: it runs once a group (OHLC's
    /// 80,000 groups a query).
    @inline(__always)
    func encoded(_ kind: Kind, of element: FindElement, space: ValueSpace) throws -> EncodedValue {
        if let bad = nonNumber, case .aggregate(let name, _, _, let position) = element {
            throw Aggregates.nonNumber(name, bad, space: space, at: position)
        }
        switch kind {
        case .count: return EncodedValue(word: UInt64(bitPattern: Int64(count)), tag: .int)
        case .sum:
            guard allIntegers else { return EncodedValue(word: doubleSum.bitPattern, tag: .double) }
            if overflowed, case .aggregate(_, _, _, let position) = element {
                throw QueryError("integer overflow in sum", at: position)
            }
            return EncodedValue(word: UInt64(bitPattern: integerSum), tag: .int)
        case .avg: return EncodedValue(word: (doubleSum / Double(count)).bitPattern, tag: .double)
        case .min, .max: return best!
        }
    }
}
