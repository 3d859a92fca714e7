/// The answer to one scan, assembled from the responses that served it
/// (its own request, a shared flight, cache entries): per binding of the
/// scan, rows of some response, filtered for this scan as they are read.
public struct ScanResult: Sendable {
    /// The scan answered.
    public let request: ScanRequest
    /// Where its bindings' rows are.
    let slices: [Slice]
    /// Every response the slices point into, each once: all of a
    /// response's keys are complete in it, so a replica may take it whole.
    let responses: [Response]

    init(request: ScanRequest, slices: [Slice], responses: [Response]) {
        self.request = request
        self.slices = slices
        self.responses = responses
    }

    /// One response of a source: its rows, the shape it was asked with and
    /// the bindings of its request (a row's binding index points into them).
    struct Response: Sendable {
        let rows: ScanRows
        let shape: ScanShape
        let bindings: [[Value]]
    }

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

    /// Rows over all bindings, after filtering.
    public var count: Int {
        var n = 0
        forEach { _, _ in n += 1 }
        return n
    }
}

extension ScanResult {
    /// Collects one scan's answer as the responses that serve it arrive.
    struct Builder {
        let request: ScanRequest
        private var slices: [Slice] = []
        private var responses: [Response] = []
        private var seen: Set<ObjectIdentifier> = []
        /// Rows given for every binding at once, by response and first row:
        /// given once, however many bindings they serve.
        private var given: Set<Given> = []

        private struct Given: Hashable {
            let response: ObjectIdentifier
            let first: Int
        }

        init(request: ScanRequest) {
            self.request = request
        }

        /// Rows `range` of a response (of `shape`, asked with `bindings`) for
        /// the binding `binding` of the scan, or for whichever bindings they
        /// match (nil).
        mutating func add(_ rows: ScanRows, shape: ScanShape, bindings: [[Value]], range: Range<Int>, binding: Int?) {
            let id = ObjectIdentifier(rows)
            if seen.insert(id).inserted { responses.append(Response(rows: rows, shape: shape, bindings: bindings)) }
            if binding == nil, !given.insert(Given(response: id, first: range.lowerBound)).inserted { return }
            slices.append(Slice(rows: rows, shape: shape, bindings: bindings, range: range, binding: binding))
        }

        /// A response that holds no rows for this scan still tells which keys are complete.
        mutating func add(response rows: ScanRows, shape: ScanShape, bindings: [[Value]]) {
            if seen.insert(ObjectIdentifier(rows)).inserted { responses.append(Response(rows: rows, shape: shape, bindings: bindings)) }
        }

        var result: ScanResult { ScanResult(request: request, slices: slices, responses: responses) }
    }
}

/// A datom's columns as a scan delivers them: any may be missing when the
/// scan neither carried nor bound it.
public struct SourceDatomColumns: Sendable, Equatable {
    /// The entity id, when delivered.
    public var e: Int64?
    /// The attribute, when delivered.
    public var a: Keyword?
    /// The value, when delivered.
    public var v: Value?
    /// The transaction id, when delivered.
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
