#if Postgres
import NIOCore
@_spi(Stores) import Quarry

/// How a value is stored in a datom's row: a tag (`vt`) and one typed
/// column. Integers, entity ids, booleans and instants go in `vi`
/// (BIGINT), doubles in `vd`, strings and keywords in `vs` (TEXT), and
/// UUIDs, tuples and maps in `vb` (BYTEA). References are stored as
/// integers, as in the in-memory store.
enum PostgresValues {
    /// The typed column a tag's values live in.
    enum Column: String, CaseIterable {
        case vi, vd, vs, vb

        /// The column's SQL type.
        var sqlType: String {
            switch self {
            case .vi: "BIGINT"
            case .vd: "FLOAT8"
            case .vs: "TEXT"
            case .vb: "BYTEA"
            }
        }
    }

    static func column(_ tag: ValueTag) -> Column {
        switch tag {
        case .int, .ref, .bool, .instant: .vi
        case .double: .vd
        case .string, .keyword: .vs
        case .uuid, .tuple, .map: .vb
        }
    }

    /// The one tag every stored value of an attribute of `type` has (a
    /// transaction coerces and checks values against their attribute's
    /// type); nil for bytes, which take any value.
    static func storedTag(of type: AttributeType) -> Int16? {
        let tag: ValueTag? = switch type {
        case .ref, .long, .bigint: .int
        case .string, .uri, .symbol: .string
        case .keyword: .keyword
        case .double, .float, .bigdec: .double
        case .boolean: .bool
        case .instant: .instant
        case .uuid: .uuid
        case .tuple: .tuple
        case .bytes: nil
        }
        return tag.map(storedTag)
    }

    /// The tag stored for a value of `tag`.
    static func storedTag(_ tag: ValueTag) -> Int16 { Int16((tag == .ref ? .int : tag).rawValue) }

    static func integer(_ v: Value) -> Int64? {
        switch v {
        case .int(let x), .ref(let x): x
        case .bool(let b): b ? 1 : 0
        case .instant(let t): t.millisecondsSinceEpoch
        default: nil
        }
    }

    static func text(_ v: Value) -> String? {
        switch v {
        case .string(let s): s
        case .keyword(let k): k.text
        default: nil
        }
    }

    static func bytes(_ v: Value) -> ByteBuffer? { v.storedBytes.map { ByteBuffer(bytes: $0) } }

    /// A stored tag, checked: one Quarry knows.
    static func tag(_ stored: Int16) throws -> ValueTag {
        guard stored > 0, stored < 256, let t = ValueTag(rawValue: UInt8(stored)) else {
            throw PostgresStoreError("a datom has the unknown value tag \(stored)")
        }
        return t
    }

    /// A stored value, checked: the tag is one Quarry knows, the column it
    /// names holds the value, and a boolean is 0 or 1.
    static func value(tag: Int16, vi: Int64?, vd: Double?, vs: String?, vb: ByteBuffer?) throws -> Value {
        let t = try Self.tag(tag)
        func missing() -> PostgresStoreError { PostgresStoreError("a stored \(t) value has no \(column(t).rawValue)") }
        switch t {
        case .int, .ref:
            guard let vi else { throw missing() }
            return .int(vi)
        case .bool:
            guard let vi, vi == 0 || vi == 1 else { throw PostgresStoreError("a stored boolean is not 0 or 1") }
            return .bool(vi == 1)
        case .instant:
            guard let vi else { throw missing() }
            return .instant(Instant(millisecondsSinceEpoch: vi))
        case .double:
            guard let vd else { throw missing() }
            return .double(vd)
        case .string:
            guard let vs else { throw missing() }
            return .string(vs)
        case .keyword:
            guard let vs else { throw missing() }
            return .keyword(Keyword(vs))
        case .uuid, .tuple, .map:
            guard var vb else { throw missing() }
            return try Value(storedBytes: vb.readBytes(length: vb.readableBytes) ?? [], tag: t)
        }
    }
}
#endif
