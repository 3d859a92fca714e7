/// The attributes a database knows, by the interned id of their ident.
public struct Schema: Sendable {
    var byID: [UInt32: Attribute] = [:]

    /// The attribute with interned ident id `id`, or an undeclared one.
    func attribute(_ id: UInt32) -> Attribute? { byID[id] }

    /// Every attribute, in no particular order.
    public var attributes: [Attribute] { Array(byID.values) }

    /// A schema of `attributes`, their idents interned in `interner`.
    init(_ attributes: [Attribute], interner: Interner) throws(CoreError) {
        for a in attributes { byID[UInt32(truncatingIfNeeded: try interner.intern(a.ident.text))] = a }
    }

    init() {}
}
