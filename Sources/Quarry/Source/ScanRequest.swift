/// One request to a source: a shape and the bindings it is asked for.
/// Each binding holds one value per parameter of the shape, in datom
/// order; rows come back tagged by the binding's index.
public struct ScanRequest: Sendable, CustomStringConvertible {
    /// What the scan reads and which positions its bindings fill.
    public var shape: ScanShape
    /// One binding per key: values for the shape's bound positions, in order.
    public var bindings: [[Value]]

    /// A scan of `shape` for `bindings`.
    public init(shape: ScanShape, bindings: [[Value]]) {
        self.shape = shape
        self.bindings = bindings
    }

    /// The request cut into requests of at most `limit` bindings, in order.
    public func split(atMost limit: Int) -> [ScanRequest] {
        let limit = max(1, limit)
        guard bindings.count > limit else { return [self] }
        return stride(from: 0, to: bindings.count, by: limit).map {
            ScanRequest(shape: shape, bindings: Array(bindings[$0..<min(bindings.count, $0 + limit)]))
        }
    }

    public var description: String { "\(shape), \(bindings.count) binding\(bindings.count == 1 ? "" : "s")" }

    /// Whether `datom` matches binding `binding` and the shape's attributes
    /// and filter: what a source returns for it.
    public func matches(_ datom: SourceDatom, binding: Int) -> Bool {
        if !shape.attributes.isEmpty, !shape.attributes.contains(datom.a) { return false }
        let key = bindings[binding]
        for (i, p) in shape.parameters.indexes.enumerated() where datom.value(at: p) != key[i] { return false }
        return shape.filter.isEmpty || shape.filter.admits(datom.v)
    }
}

/// A datom as sources exchange it: the attribute by its ident, values
/// boxed. References are ``Value/ref(_:)`` or ``Value/int(_:)`` as stored.
public struct SourceDatom: Sendable, Hashable {
    /// The entity id.
    public var e: Int64
    /// The attribute.
    public var a: Keyword
    /// The value.
    public var v: Value
    /// The transaction id.
    public var tx: Int64

    /// A datom.
    public init(e: Int64, a: Keyword, v: Value, tx: Int64) {
        self.e = e
        self.a = a
        self.v = v
        self.tx = tx
    }

    /// Position `p` (0...3: e, a, v, tx) as a value: entity and tx as
    /// integers, the attribute as a keyword.
    public func value(at p: Int) -> Value {
        switch p {
        case 0: .int(e)
        case 1: .keyword(a)
        case 2: v
        default: .int(tx)
        }
    }
}

/// A scan that failed, with the request and the cause.
public struct ScanError: Error, CustomStringConvertible, Sendable {
    /// What went wrong.
    public let message: String
    /// An error with its message.
    public init(_ message: String) { self.message = message }

    /// `request` to `source` failed with `cause`.
    static func failed(_ request: ScanRequest, from source: String, _ cause: Error) -> ScanError {
        let keys = request.bindings.count
        return ScanError("scan of \(request.shape) (\(keys) key\(keys == 1 ? "" : "s")) from \(source) failed: \(cause)")
    }
    public var description: String { message }
}
