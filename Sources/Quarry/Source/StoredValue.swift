/// The bytes a store keeps for values that are neither numbers nor text
/// (UUIDs, tuples, maps): SQLite's blobs and PostgreSQL's `bytea` hold
/// them alike. For the stores Quarry ships, not a stable format for others.
extension Value {
    /// The bytes stored for a UUID (its 16), tuple or map (the wire form);
    /// nil for a value a store keeps in a column of its own type.
    @_spi(Stores) public var storedBytes: [UInt8]? {
        switch self {
        case .uuid(let u): Value.bytes(of: u)
        case .tuple, .map:
            { var w = WireWriter(); w.value(self); return w.out }()
        default: nil
        }
    }

    /// The value of kind `tag` stored as `bytes`, checked byte by byte:
    /// lengths, tags and nesting (at most ``EDN/maxDepth``) come from a
    /// store, which is not trusted.
    @_spi(Stores) public init(storedBytes bytes: [UInt8], tag: ValueTag) throws {
        switch tag {
        case .uuid:
            guard let u = Value.uuid(bytes: bytes) else { throw ScanError("a stored UUID has \(bytes.count) bytes, not 16") }
            self = .uuid(u)
        case .tuple, .map:
            self = try bytes.withUnsafeBytes { b in
                var r = CheckedWireReader(bytes: b)
                let v = try r.value(depth: 0)
                guard v.tag == tag else { throw ScanError("a stored \(tag) holds a \(v.tag)") }
                guard r.at == b.count else { throw ScanError("a stored \(tag) has \(b.count - r.at) bytes after its end") }
                return v
            }
        default:
            throw ScanError("a \(tag) value is not stored as bytes")
        }
    }
}
