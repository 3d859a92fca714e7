import Foundation

/// One value of a datom or a query result.
///
/// `Value` is the boxed form used at the API's edges; inside the engine a
/// value is a 64-bit word and a ``ValueTag`` in a flat row (see
/// ``Value/encoded(in:)``).
public enum Value: Sendable, Hashable {
    case int(Int64)
    case double(Double)
    case bool(Bool)
    case string(String)
    case keyword(Keyword)
    /// An entity id.
    case ref(Int64)
    case instant(Instant)
    case uuid(UUID)
    /// A tuple, as built by the query function `tuple`.
    case tuple([Value])

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
        }
    }
}
