/// The in-memory store serves batched scans directly from its indexes.
extension Database: DatomSource {
    public var name: String { "memory" }

    public func describe() async throws -> SourceDescription { description() }

    public func scan(_ request: ScanRequest, account: MemoryAccount?) async throws -> ScanRows {
        try scanNow(request, account: account)
    }

    /// A database value never changes: every session reads it, named by
    /// its next transaction id.
    public func openReadSession() async throws -> any DatomReadSession { ValueSession(database: self) }

    private struct ValueSession: DatomReadSession {
        let database: Database
        var snapshot: UInt64? { UInt64(bitPattern: database.nextTx) }
        var sourceDescription: SourceDescription? { database.description() }

        func scan(_ request: ScanRequest, account: MemoryAccount?) async throws -> ScanRows {
            try database.scanNow(request, account: account)
        }

        func close() async {}
    }

    /// ``describe()`` without suspending.
    func description() -> SourceDescription {
        var figures: [Keyword: SourceDescription.AttributeFigures] = [:]
        for (id, s) in stats {
            figures[ident(id)] = .init(datoms: s.count, distinctEntities: s.distinctEntities, distinctValues: s.distinctValues)
        }
        return SourceDescription(attributes: schema.attributes, figures: figures, datoms: count, maxEntity: maxEntity)
    }

    /// ``scan(_:account:)`` without suspending: per binding, one index
    /// range, the shape's attributes and filter checked per datom.
    func scanNow(_ request: ScanRequest, account: MemoryAccount?) throws -> ScanRows {
        let shape = request.shape
        let rows = try ScanRows(projection: shape.projection, account: account)
        let attributes = shape.attributes.isEmpty ? [nil] : shape.attributes.map { attributeID($0) }
        let filter = shape.filter, unfiltered = filter.isEmpty
        if shape.parameters.isEmpty {
            // Whole attributes: room for their rows at once, not by doubling.
            try rows.reserve(rows: attributes.reduce(0) { n, a in
                a == nil && !shape.attributes.isEmpty ? n : n + rangeCount(DatomFilter(a: a))
            })
        }
        for (b, binding) in request.bindings.enumerated() {
            for attribute in attributes {
                if !shape.attributes.isEmpty && attribute == nil { continue }
                var f = DatomFilter(a: attribute)
                var possible = true
                for (i, p) in shape.parameters.indexes.enumerated() {
                    guard let encoded = sourceValue(binding[i]), f.fix(p, to: encoded) else {
                        possible = false
                        break
                    }
                }
                guard possible, f.a == attribute || attribute == nil else { continue }
                var failure: Error?
                scan(f) { d in
                    guard failure == nil else { return }
                    if !unfiltered {
                        guard let v = Value(d.value, interner: interner), filter.admits(v) else { return }
                    }
                    do { try rows.append(binding: b, d, interner: interner) } catch { failure = error }
                }
                if let failure { throw failure }
            }
        }
        return rows
    }

    /// A value in this store's ids; nil when no datom can hold it.
    private func sourceValue(_ v: Value) -> EncodedValue? {
        switch v {
        case .string(let s): interner.id(of: s).map { EncodedValue(word: $0, tag: .string) }
        case .keyword(let k): interner.id(of: k.text).map { EncodedValue(word: $0, tag: .keyword) }
        case .ref(let e): EncodedValue(word: UInt64(bitPattern: e), tag: .int)
        case .uuid, .tuple, .map: try? v.encodedIfInterned(in: interner)
        default: try? v.encoded(in: interner)
        }
    }
}

extension Value {
    /// The encoding of an interned kind only if `interner` holds it already.
    func encodedIfInterned(in interner: Interner) throws -> EncodedValue? {
        switch self {
        case .uuid(let u): interner.id(ofBytes: Self.bytes(of: u)).map { EncodedValue(word: $0, tag: .uuid) }
        case .tuple, .map: nil
        default: try encoded(in: interner)
        }
    }
}
