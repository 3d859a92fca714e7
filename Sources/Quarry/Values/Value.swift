import Foundation

/// One value of a datom or a query result.
///
/// `Value` is the boxed form used at the API's edges; inside the engine a
/// value is a 64-bit word and a ``ValueTag`` in a flat row.
public enum Value: Sendable, Hashable {
    /// A 64-bit integer (EDN `42`; `:db.type/long`).
    case int(Int64)
    /// A 64-bit floating-point number (EDN `4.2`; `:db.type/double`).
    case double(Double)
    /// `true` or `false`.
    case bool(Bool)
    /// A string.
    case string(String)
    /// A keyword such as `:person/name`.
    case keyword(Keyword)
    /// An entity id.
    case ref(Int64)
    /// A point in time (EDN `#inst`).
    case instant(Instant)
    /// A UUID (EDN `#uuid`).
    case uuid(UUID)
    /// A tuple, as built by the query function `tuple`.
    case tuple([Value])
    /// A map, as pull builds it: `{:person/name "Ann", :db/id 1}`. Writers
    /// print its entries in key order (``Value/mapEntries``).
    case map([Value: Value])

    /// The tag this value carries in a row.
    public var tag: ValueTag {
        switch self {
        case .int: .int
        case .double: .double
        case .bool: .bool
        case .string: .string
        case .keyword: .keyword
        case .ref: .ref
        case .instant: .instant
        case .uuid: .uuid
        case .tuple: .tuple
        case .map: .map
        }
    }

    /// A map's entries in a stable order (keys as Clojure's `compare`
    /// orders them); empty for any other value.
    public var mapEntries: [(key: Value, value: Value)] {
        guard case .map(let m) = self else { return [] }
        return m.sorted { ValueOrder.totalCompare($0.key, $1.key) < 0 }
    }
}
