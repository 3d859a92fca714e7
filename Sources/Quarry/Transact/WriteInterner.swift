/// The interner a transaction encodes with: the database's own, only read,
/// until the transaction brings a string, keyword or other interned value
/// the database lacks; then a copy, made once, that the new database
/// keeps. So a transaction of known values costs nothing per interned
/// string, and the database before never changes (other threads read it).
final class WriteInterner {
    private let base: Interner
    private var copy: Interner?

    init(_ base: Interner) { self.base = base }

    /// The interner the new database holds: the copy if one was made.
    var current: Interner { copy ?? base }

    private func writable() throws(CoreError) -> Interner {
        if let copy { return copy }
        let made = try base.copy()
        copy = made
        return made
    }

    /// The id of `text`, interned if new.
    func intern(_ text: String) throws(CoreError) -> UInt64 {
        if let id = current.id(of: text) { return id }
        return try writable().intern(text)
    }

    /// The id of `text` if interned already.
    func id(of text: String) -> UInt64? { current.id(of: text) }

    /// The engine form of `value`, interning what it holds if new.
    func encode(_ value: Value) throws -> EncodedValue {
        switch value {
        case .string(let s): if let id = current.id(of: s) { return EncodedValue(word: id, tag: .string) }
        case .keyword(let k): if let id = current.id(of: k.text) { return EncodedValue(word: id, tag: .keyword) }
        case .uuid: if let encoded = try value.encodedIfInterned(in: current) { return encoded }
        case .int, .double, .bool, .instant, .ref: return try value.encoded(in: current)
        case .tuple, .map: break
        }
        return try value.encoded(in: writable())
    }
}
