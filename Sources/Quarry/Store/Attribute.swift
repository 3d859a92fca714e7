/// The declared type of an attribute's values (`:db/valueType`).
public enum AttributeType: String, Sendable, CaseIterable {
    /// An entity id (`:db.type/ref`).
    case ref
    /// A string.
    case string
    /// A keyword.
    case keyword
    /// A 64-bit integer.
    case long
    /// A 64-bit floating-point number.
    case double
    /// A floating-point number, held as a double.
    case float
    /// `true` or `false`.
    case boolean
    /// A point in time.
    case instant
    /// A UUID.
    case uuid
    /// An integer, held as a 64-bit integer.
    case bigint
    /// A decimal, held as a double.
    case bigdec
    /// A symbol, held as a string.
    case symbol
    /// A URI, held as a string.
    case uri
    /// Bytes, held as a string.
    case bytes
    /// A tuple of values.
    case tuple

    /// Whether a value of tag `tag` fits, after ``coerce(_:)``.
    func accepts(_ tag: ValueTag) -> Bool {
        switch self {
        case .ref: tag == .int || tag == .ref
        case .string, .uri: tag == .string
        case .keyword: tag == .keyword
        case .long, .bigint: tag == .int
        case .double, .float, .bigdec: tag == .double
        case .boolean: tag == .bool
        case .instant: tag == .instant
        case .uuid: tag == .uuid
        case .symbol: tag == .string
        case .tuple: tag == .tuple
        case .bytes: true
        }
    }

    /// The value as this type stores it: integers widen to doubles for
    /// floating-point attributes.
    func coerce(_ value: Value) -> Value {
        switch (self, value) {
        case (.double, .int(let i)), (.float, .int(let i)), (.bigdec, .int(let i)): .double(Double(i))
        default: value
        }
    }
}

/// `:db/unique`.
public enum Uniqueness: String, Sendable {
    /// `:db.unique/identity`: a tempid asserting an existing value resolves to that entity (upsert).
    case identity
    /// `:db.unique/value`: asserting an existing value on another entity is an error.
    case value
}

/// An attribute's schema, Datomic-style. Undeclared attributes are
/// cardinality one and untyped.
public struct Attribute: Sendable, Equatable {
    /// The attribute's name, `:person/name`.
    public var ident: Keyword
    /// `:db/valueType`, when declared.
    public var valueType: AttributeType?
    /// Whether `:db/cardinality` is `:db.cardinality/many`.
    public var cardinalityMany: Bool
    /// `:db/unique`, when declared.
    public var unique: Uniqueness?
    /// Whether `:db/index` is true.
    public var indexed: Bool
    /// Whether `:db/isComponent` is true.
    public var isComponent: Bool

    /// An attribute; by default of cardinality one, not unique, not indexed.
    public init(ident: Keyword, valueType: AttributeType? = nil, cardinalityMany: Bool = false,
                unique: Uniqueness? = nil, indexed: Bool = false, isComponent: Bool = false) {
        self.ident = ident
        self.valueType = valueType
        self.cardinalityMany = cardinalityMany
        self.unique = unique
        self.indexed = indexed
        self.isComponent = isComponent
    }

    /// Whether its values are entity ids.
    public var isRef: Bool { valueType == .ref }
}
