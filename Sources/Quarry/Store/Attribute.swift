/// The declared type of an attribute's values (`:db/valueType`).
public enum AttributeType: String, Sendable, CaseIterable {
    case ref, string, keyword, long, double, float, boolean, instant, uuid, bigint, bigdec, symbol, uri, bytes, tuple

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
    public var ident: Keyword
    public var valueType: AttributeType?
    public var cardinalityMany: Bool
    public var unique: Uniqueness?
    public var indexed: Bool
    public var isComponent: Bool

    public init(ident: Keyword, valueType: AttributeType? = nil, cardinalityMany: Bool = false,
                unique: Uniqueness? = nil, indexed: Bool = false, isComponent: Bool = false) {
        self.ident = ident
        self.valueType = valueType
        self.cardinalityMany = cardinalityMany
        self.unique = unique
        self.indexed = indexed
        self.isComponent = isComponent
    }

    public var isRef: Bool { valueType == .ref }
}
