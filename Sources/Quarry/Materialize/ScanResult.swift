/// The answer to one scan, assembled from the responses that served it
/// (its own request, a shared flight, cache entries): per binding of the
/// scan, rows of some response, filtered for this scan as they are read.
public struct ScanResult: Sendable {
    /// The scan answered.
    public let request: ScanRequest
    /// Where its bindings' rows are.
    let slices: [Slice]

    /// Rows of one binding in a response.
    struct Slice: Sendable {
        let rows: ScanRows
        /// The shape of the response and its request's bindings (a row's
        /// binding index points into them).
        let shape: ScanShape
        let bindings: [[Value]]
        let range: Range<Int>
        /// The binding of `request` served; nil when the rows answer
        /// several bindings (a response keyed by fewer positions), each
        /// row's binding then found by its values.
        let binding: Int?

        /// Row `i` as a datom: the columns it carries, the rest from its
        /// binding in the response (an entity reference read as the integer
        /// the stores hold); a position neither carried nor bound is nil.
        func columns(_ i: Int) -> SourceDatomColumns {
            let r = rows.row(i)
            let params = shape.parameters.indexes
            func bound(_ p: Int) -> Value? { params.firstIndex(of: p).map { bindings[r.binding][$0] } }
            var v = r.v ?? bound(2)
            if case .ref(let x) = v { v = .int(x) }
            return SourceDatomColumns(e: r.e ?? bound(0)?.entity, a: r.a ?? bound(1)?.keyword ?? shape.attributes.first,
                                      v: v, tx: r.tx ?? bound(3)?.entity)
        }
    }

    /// Calls `body` with each datom matching each binding, and the
    /// binding's index: the response's rows, completed from their binding
    /// and filtered by this scan's attributes, parameters and filter. A
    /// position neither carried nor bound (a transaction not asked for)
    /// reads as `nil`.
    public func forEach(_ body: (Int, SourceDatomColumns) throws -> Void) rethrows {
        let mine = request.shape
        let positions = mine.parameters.indexes
        var byValues: [[Value]: Int]?
        for s in slices {
            if s.binding == nil, byValues == nil {
                byValues = Dictionary(request.bindings.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
            }
            for i in s.range {
                let d = s.columns(i)
                if let a = d.a, !mine.attributes.isEmpty, !mine.attributes.contains(a) { continue }
                if !mine.filter.isEmpty, !(d.v.map(mine.filter.admits) ?? false) { continue }
                if let b = s.binding {
                    let wanted = request.bindings[b]
                    var keep = true
                    for (k, p) in positions.enumerated() where d.value(at: p) != wanted[k] {
                        keep = false
                        break
                    }
                    if keep { try body(b, d) }
                } else {
                    var key: [Value] = []
                    for p in positions {
                        guard let x = d.value(at: p) else { break }
                        key.append(x)
                    }
                    if key.count == positions.count, let b = byValues![key] { try body(b, d) }
                }
            }
        }
    }

    /// Calls `body` once with every row of every response that served any
    /// of `results` (a response shared by many scans is read once), completed
    /// from its binding but not filtered for any scan: each is a true datom
    /// of the source, and the keys the scans asked for are all among them.
    public static func forEachResponseRow(of results: [ScanResult], _ body: (SourceDatomColumns) throws -> Void) rethrows {
        var seen = Set<[Int]>()
        for r in results {
            for s in r.slices where seen.insert([ObjectIdentifier(s.rows).hashValue, s.range.lowerBound, s.range.upperBound]).inserted {
                for i in s.range { try body(s.columns(i)) }
            }
        }
    }

    /// Rows over all bindings, after filtering.
    public var count: Int {
        var n = 0
        forEach { _, _ in n += 1 }
        return n
    }
}

/// A datom's columns as a scan delivers them: any may be missing when the
/// scan neither carried nor bound it.
public struct SourceDatomColumns: Sendable, Equatable {
    public var e: Int64?
    public var a: Keyword?
    public var v: Value?
    public var tx: Int64?

    func value(at p: Int) -> Value? {
        switch p {
        case 0: e.map { .int($0) }
        case 1: a.map { .keyword($0) }
        case 2: v
        default: tx.map { .int($0) }
        }
    }
}

extension Value {
    /// An entity id held as an integer or a reference.
    var entity: Int64? {
        switch self {
        case .int(let x), .ref(let x): x
        default: nil
        }
    }

    var keyword: Keyword? {
        if case .keyword(let k) = self { k } else { nil }
    }
}
