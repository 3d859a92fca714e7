import QuarryCore

/// Interns strings and byte strings in the core's memory: equal text gets
/// an equal id, ids are dense from 0 and stable for the interner's life.
/// Not thread-safe.
@_spi(Core) public final class Interner {
    let handle: OpaquePointer
    /// Kept so the account outlives the bytes charged to it.
    public let account: MemoryAccount?

    public init(account: MemoryAccount? = nil) throws(CoreError) {
        var out: OpaquePointer?
        try CoreError.check(qc_interner_create(account?.handle, &out), "create interner")
        handle = out!
        self.account = account
    }

    deinit { qc_interner_destroy(handle) }

    /// Ids handed out so far.
    public var count: Int { Int(qc_interner_count(handle)) }
    /// Bytes held: text chunks, the id table and the index.
    public var byteCount: Int { Int(qc_interner_bytes_held(handle)) }

    /// The id of `text`, adding it when new.
    public func intern(_ text: String) throws(CoreError) -> UInt64 {
        var text = text
        return try check(text.withUTF8 { intern(raw: UnsafeRawBufferPointer($0)) })
    }

    /// The id of `bytes`, adding them when new.
    public func intern(bytes: [UInt8]) throws(CoreError) -> UInt64 {
        try check(bytes.withUnsafeBytes { intern(raw: $0) })
    }

    /// The id of `bytes` (read in place), adding them when new.
    func intern(contentsOf bytes: UnsafeRawBufferPointer) throws(CoreError) -> UInt64 {
        try check(intern(raw: bytes))
    }

    /// The id of `text` if it was interned; never adds.
    public func id(of text: String) -> UInt64? {
        var text = text
        let found = text.withUTF8 { qc_interner_find(handle, $0.baseAddress, $0.count) }
        return found < 0 ? nil : UInt64(found)
    }

    /// The id of `bytes` if they were interned; never adds.
    public func id(ofBytes bytes: [UInt8]) -> UInt64? {
        let found = bytes.withUnsafeBytes { qc_interner_find(handle, $0.baseAddress, $0.count) }
        return found < 0 ? nil : UInt64(found)
    }

    /// A new interner holding the same entries under the same ids.
    public func copy() throws(CoreError) -> Interner {
        let out = try Interner(account: account)
        for id in 0..<UInt64(count) {
            guard let result = withBytes(for: id, { out.intern(raw: $0) }) else { continue }
            _ = try out.check(result)
        }
        return out
    }

    /// The text of an id, or nil for an unknown id.
    public func string(for id: UInt64) -> String? {
        withBytes(for: id) { String(decoding: $0, as: UTF8.self) }
    }

    /// Calls `body` with the bytes of an id in place; nil for an unknown id.
    func withBytes<R>(for id: UInt64, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R? {
        var len = 0
        guard let p = qc_interner_bytes(handle, id, &len) else { return nil }
        return try body(UnsafeRawBufferPointer(start: p, count: len))
    }

    /// ``withBytes(for:_:)`` for an id that may be absent: `body` gets nil
    /// for no id, and is not called for an unknown one (nil is returned).
    func withBytes<R>(optional id: UInt64?, _ body: (UnsafeRawBufferPointer?) throws -> R) rethrows -> R? {
        guard let id else { return try body(nil) }
        return try withBytes(for: id) { try body($0) }
    }

    /// The bytes of an id, or nil for an unknown id.
    public func bytes(for id: UInt64) -> [UInt8]? {
        withBytes(for: id) { Array($0) }
    }

    fileprivate func intern(raw: UnsafeRawBufferPointer) -> (qc_status, UInt64) {
        var id: UInt64 = 0
        let status = qc_intern(handle, raw.baseAddress, raw.count, &id, nil)
        return (status, id)
    }

    fileprivate func check(_ result: (qc_status, UInt64)) throws(CoreError) -> UInt64 {
        try CoreError.check(result.0, "intern")
        return result.1
    }
}
