/// Positions of a datom, as a set: which are bound per binding, which a
/// scan's rows carry.
public struct PositionSet: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue & 0xF }

    /// The entity.
    public static let e = PositionSet(rawValue: 1)
    /// The attribute.
    public static let a = PositionSet(rawValue: 2)
    /// The value.
    public static let v = PositionSet(rawValue: 4)
    /// The transaction.
    public static let tx = PositionSet(rawValue: 8)

    /// The positions in datom order (e, a, v, tx), as indexes 0...3.
    public var indexes: [Int] { (0..<4).filter { rawValue & (1 << $0) != 0 } }

    /// The position at `index` of `[e a v tx]`.
    public static func position(_ index: Int) -> PositionSet { PositionSet(rawValue: 1 << UInt8(index)) }

    public var description: String {
        let names = ["e", "a", "v", "tx"]
        return "[" + indexes.map { names[$0] }.joined(separator: " ") + "]"
    }
}

/// What a scan asks of a source, apart from its bindings: the attributes,
/// which positions each binding fixes (and the kinds of their values), the
/// columns the rows must carry, and a filter on the value pushed down.
///
/// A constant of the query other than the attribute is a parameter like a
/// variable's value, so that `[?s :ticker "AAPL"]` and `[?s :ticker "MSFT"]`
/// are one shape with two bindings and travel in one request.
public struct ScanShape: Hashable, Sendable, CustomStringConvertible {
    /// The source's name, as given to the materializer.
    public var source: String
    /// The attributes scanned, sorted; empty: every attribute.
    public var attributes: [Keyword]
    /// Positions each binding fixes, in datom order.
    public var parameters: PositionSet
    /// The tag of each parameter's values, in the order of ``parameters``.
    public var parameterKinds: [ValueTag]
    /// Positions the rows carry. Never a parameter (its value is the
    /// binding's); always the entity and the value unless they are
    /// parameters, since they make a datom; the attribute when more than one
    /// attribute is scanned.
    public var projection: PositionSet
    /// A condition on the value every row meets.
    public var filter: ScanFilter

    /// A shape in normal form (attributes sorted and unique; the projection
    /// completed as ``projection`` requires).
    public init(source: String, attributes: [Keyword], parameters: PositionSet, parameterKinds: [ValueTag],
                projection: PositionSet = [], filter: ScanFilter = ScanFilter()) {
        precondition(parameterKinds.count == parameters.indexes.count, "one kind per parameter")
        self.source = source
        self.attributes = Array(Set(attributes)).sorted()
        self.parameters = parameters
        self.parameterKinds = parameterKinds
        var p = projection.union([.e, .v])
        if self.attributes.count != 1 { p.insert(.a) }
        self.projection = p.subtracting(parameters)
        self.filter = filter
    }

    /// The positions a row of this shape determines: carried or bound.
    public var known: PositionSet { projection.union(parameters) }

    /// The kind of parameter `position`, if it is one.
    public func kind(of position: Int) -> ValueTag? {
        guard let i = parameters.indexes.firstIndex(of: position) else { return nil }
        return parameterKinds[i]
    }

    public var description: String {
        let attrs = attributes.isEmpty ? "any attribute" : attributes.map(\.description).joined(separator: " ")
        let f = filter.isEmpty ? "" : " where v \(filter)"
        return "\(attrs) by \(parameters) returning \(projection)\(f)"
    }
}

/// A range of values a scan's rows must fall in, on the value position.
/// Empty (no bounds) passes every datom. Bounds compare numbers with
/// numbers (integers and doubles alike), strings with strings, instants
/// with instants; a datom of another kind fails a bounded filter.
public struct ScanFilter: Hashable, Sendable, CustomStringConvertible {
    /// One end of a range.
    public struct Bound: Hashable, Sendable {
        /// The value at the end.
        public var value: Value
        /// Whether the value itself is in the range.
        public var inclusive: Bool
        /// An end at `value`.
        public init(_ value: Value, inclusive: Bool) {
            self.value = value
            self.inclusive = inclusive
        }
    }

    /// The lower end, if any.
    public var lower: Bound?
    /// The upper end, if any.
    public var upper: Bound?

    /// A range; no ends at all is no filter.
    public init(lower: Bound? = nil, upper: Bound? = nil) {
        self.lower = lower
        self.upper = upper
    }

    /// Whether the filter lets every value through.
    public var isEmpty: Bool { lower == nil && upper == nil }

    /// Whether `value` is in the range.
    public func admits(_ value: Value) -> Bool {
        if let lower {
            guard let c = Self.compare(value, lower.value), c > 0 || (c == 0 && lower.inclusive) else { return false }
        }
        if let upper {
            guard let c = Self.compare(value, upper.value), c < 0 || (c == 0 && upper.inclusive) else { return false }
        }
        return true
    }

    /// Whether every value this filter admits is admitted by `self`'s
    /// wider range: `self` can serve a scan filtered by `other`.
    public func subsumes(_ other: ScanFilter) -> Bool {
        if let l = lower {
            guard let o = other.lower, let c = Self.compare(o.value, l.value),
                  c > 0 || (c == 0 && (l.inclusive || !o.inclusive)) else { return false }
        }
        if let u = upper {
            guard let o = other.upper, let c = Self.compare(o.value, u.value),
                  c < 0 || (c == 0 && (u.inclusive || !o.inclusive)) else { return false }
        }
        return true
    }

    /// The range both filters admit.
    public func intersection(_ other: ScanFilter) -> ScanFilter {
        var out = self
        if let o = other.lower, out.lower.map({ other.narrowerLower(o, than: $0) }) ?? true { out.lower = o }
        if let o = other.upper, out.upper.map({ other.narrowerUpper(o, than: $0) }) ?? true { out.upper = o }
        return out
    }

    private func narrowerLower(_ a: Bound, than b: Bound) -> Bool {
        guard let c = Self.compare(a.value, b.value) else { return false }
        return c > 0 || (c == 0 && !a.inclusive)
    }

    private func narrowerUpper(_ a: Bound, than b: Bound) -> Bool {
        guard let c = Self.compare(a.value, b.value) else { return false }
        return c < 0 || (c == 0 && !a.inclusive)
    }

    /// -1, 0, 1 for values of one kind (numbers exactly across integers,
    /// entity ids and doubles, as the query's comparisons; NaN is no
    /// number's peer); nil otherwise.
    static func compare(_ a: Value, _ b: Value) -> Int? {
        func order<T: Comparable>(_ x: T, _ y: T) -> Int { x < y ? -1 : (x > y ? 1 : 0) }
        if let c = ValueOrder.compareNumbers(a, b) { return c }
        switch (a, b) {
        case (.string(let x), .string(let y)): return order(x, y)
        case (.instant(let x), .instant(let y)): return order(x.millisecondsSinceEpoch, y.millisecondsSinceEpoch)
        default: return nil
        }
    }

    public var description: String {
        var parts: [String] = []
        if let lower { parts.append((lower.inclusive ? ">= " : "> ") + EDNWriter.write(lower.value)) }
        if let upper { parts.append((upper.inclusive ? "<= " : "< ") + EDNWriter.write(upper.value)) }
        return parts.joined(separator: " and ")
    }
}
