/// The attributes a database knows, by the interned id of their ident.
public struct Schema: Sendable {
    var byID: [UInt32: Attribute] = [:]

    /// The attribute with interned ident id `id`, or an undeclared one.
    func attribute(_ id: UInt32) -> Attribute? { byID[id] }

    public var attributes: [Attribute] { Array(byID.values) }

    /// The schema attributes Quarry reads from transaction data.
    static let schemaIdents: Set<String> = [
        "db/ident", "db/valueType", "db/cardinality", "db/unique", "db/index", "db/isComponent", "db/doc",
        "db/fulltext", "db/noHistory", "db/tupleAttrs", "db/tupleType", "db/tupleTypes",
    ]
}
