/// The type tag stored beside each 64-bit word of a row in the C core.
///
/// The core compares tags as bytes; what each means is decided here. Zero is
/// reserved so that an all-zero row never looks like a real value.
public enum ValueTag: UInt8, Sendable, CaseIterable {
    /// A signed 64-bit integer, two's complement in the word.
    case int = 1
    /// An IEEE double; the word is its bit pattern, with -0.0 and NaN made canonical.
    case double = 2
    /// A boolean: 0 or 1.
    case bool = 3
    /// A string: the word is its interned id.
    case string = 4
    /// A keyword: the word is the interned id of its text without the colon.
    case keyword = 5
    /// An entity id.
    case ref = 6
    /// An instant: milliseconds since the Unix epoch, UTC.
    case instant = 7
    /// A UUID: the word is the interned id of its 16 bytes.
    case uuid = 8
    /// A tuple built by a query function: the word is the query-local
    /// interned id of its encoded elements.
    case tuple = 9
    /// A map (pull results): the word is the query-local interned id of its
    /// encoded keys and values, alternating, in a canonical order.
    case map = 10
}
