/// Fingerprints and the two exact rules the materializer shares work by.
extension ScanShape {
    /// XXH3-64 (the core's) of the shape's canonical bytes: source,
    /// attributes, parameter positions and kinds, projection, filter. Equal
    /// shapes have equal fingerprints; the shape itself is kept beside it,
    /// so a collision never merges different scans.
    public var fingerprint: UInt64 {
        var w = WireWriter()
        w.text(source)
        w.u32(UInt32(attributes.count))
        for a in attributes { w.text(a.text) }
        w.out.append(parameters.rawValue)
        w.out.append(contentsOf: parameterKinds.map(\.rawValue))
        w.out.append(projection.rawValue)
        for bound in [filter.lower, filter.upper] {
            if let bound {
                w.out.append(bound.inclusive ? 2 : 1)
                w.value(bound.value)
            } else {
                w.out.append(0)
            }
        }
        return RowHash.hash(bytes: w.out)
    }

    /// Whether a scan of `self` answers a scan of `other`, once its rows
    /// are filtered for it: `self` reads every attribute `other` reads,
    /// binds a subset of `other`'s positions with values of the same kinds,
    /// carries every column `other` needs and every position `other` binds
    /// beyond it (to check them), and its filter admits whatever `other`'s
    /// does. Then a binding of `other` is served by the binding of `self`
    /// made of its values at `self`'s parameters (see ``key(of:for:)``).
    public func canSatisfy(_ other: ScanShape) -> Bool {
        guard source == other.source, parameters.isSubset(of: other.parameters) else { return false }
        if !attributes.isEmpty {
            guard !other.attributes.isEmpty, Set(other.attributes).isSubset(of: Set(attributes)) else { return false }
        }
        for p in parameters.indexes where kind(of: p) != other.kind(of: p) { return false }
        guard other.projection.isSubset(of: known),
              other.parameters.subtracting(parameters).isSubset(of: projection) else { return false }
        if attributes != other.attributes, !projection.contains(.a) { return false }
        return filter.subsumes(other.filter)
    }

    /// The binding of `self` that serves `binding` of `other` (for which
    /// ``canSatisfy(_:)`` holds): its values at `self`'s parameters.
    public func key(of binding: [Value], for other: ScanShape) -> [Value] {
        if parameters == other.parameters { return binding }
        let positions = other.parameters.indexes
        return parameters.indexes.map { binding[positions.firstIndex(of: $0)!] }
    }

    /// The one shape both scans can travel in, if any: the same source,
    /// parameters (and kinds) and filter. Its attributes are both scans'
    /// (every attribute when either reads every one), its projection the
    /// union of theirs (with the attribute when there are several), so a
    /// request of it answers both, each filtered for its caller.
    public func merged(with other: ScanShape) -> ScanShape? {
        guard source == other.source, parameters == other.parameters, parameterKinds == other.parameterKinds,
              filter == other.filter else { return nil }
        let attrs = attributes.isEmpty || other.attributes.isEmpty ? [] : attributes + other.attributes
        return ScanShape(source: source, attributes: attrs, parameters: parameters, parameterKinds: parameterKinds,
                         projection: projection.union(other.projection), filter: filter)
    }
}

extension ScanShape {
    /// The one shape all of `shapes` can travel in (see ``merged(with:)``).
    static func merged(_ shapes: [ScanShape]) -> ScanShape? {
        guard var shape = shapes.first else { return nil }
        for s in shapes.dropFirst() {
            guard let m = shape.merged(with: s) else { return nil }
            shape = m
        }
        return shape
    }
}

extension ScanRequest {
    /// The requests merged into one (see ``ScanShape/merged(with:)``), with
    /// the union of their bindings (each once) and, per request, where its
    /// bindings went; nil when the shapes cannot travel together.
    public static func merge(_ requests: [ScanRequest]) -> (request: ScanRequest, positions: [[Int]])? {
        guard let shape = ScanShape.merged(requests.map(\.shape)) else { return nil }
        var distinct = DistinctBindings(capacity: requests.reduce(0) { $0 + $1.bindings.count })
        let positions = requests.map { r in r.bindings.map { distinct.index(of: $0) } }
        return (ScanRequest(shape: shape, bindings: distinct.bindings), positions)
    }
}

/// Bindings each kept once, in order of arrival, with their indexes. A
/// binding of one integer (an entity id, the common key) is hashed as an
/// integer, far cheaper than as an array of values.
struct DistinctBindings {
    private(set) var bindings: [[Value]] = []
    private var integers: [Int64: Int]
    private var others: [[Value]: Int] = [:]

    init(capacity: Int) {
        integers = Dictionary(minimumCapacity: capacity)
        bindings.reserveCapacity(capacity)
    }

    /// The index of `binding`, added when new.
    mutating func index(of binding: [Value]) -> Int {
        if binding.count == 1, case .int(let x) = binding[0] {
            if let known = integers[x] { return known }
            integers[x] = bindings.count
        } else {
            if let known = others[binding] { return known }
            others[binding] = bindings.count
        }
        bindings.append(binding)
        return bindings.count - 1
    }
}
