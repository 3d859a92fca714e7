/// One entity of a database value, read lazily: nothing is read until an
/// attribute is asked for, and every read sees the database the entity
/// came from (``Database/entity(_:)``), whatever was transacted since.
///
/// ```swift
/// let ann = try db.entity(.tuple([.keyword(Keyword("person/email")), .string("ann@example.com")]))
/// ann?["person/name"]                          // .string("Ann")
/// ann?.references("person/friend").map(\.id)   // the entities Ann names
/// ann?.references("person/_friend")            // the entities naming Ann
/// ```
public struct Entity: Sendable, Hashable {
    /// The database read.
    public let db: Database
    /// The entity id.
    public let id: Int64

    /// The value of `attribute`: one value for a cardinality-one
    /// attribute, a `.tuple` of them (in value order) for a
    /// cardinality-many one; a reference is the entity id, as `.int`. A
    /// reverse name (`"person/_friend"`) gives the ids of the entities
    /// that reference this one, as a `.tuple` (one id for a component).
    /// Nil when the entity has no value.
    public subscript(_ attribute: Keyword) -> Value? {
        let (a, reverse) = (attribute.forward, attribute.isReverse)
        guard let id = db.attributeID(a) else { return nil }
        let puller = Puller(db)
        let values = reverse ? puller.referrers(of: self.id, through: id) : puller.values(of: self.id, id)
        guard !values.isEmpty else { return nil }
        return Puller.isMany(db.attribute(id), reverse: reverse) ? .tuple(values) : values[0]
    }

    /// ``subscript(_:)-(Keyword)`` with the attribute written as text, `"person/name"` or `":person/name"`.
    public subscript(_ attribute: String) -> Value? { self[Keyword(attribute)] }

    /// The entities `attribute` references (reverse names: the entities
    /// referencing this one), in id order; empty when none.
    public func references(_ attribute: String) -> [Entity] {
        let ids: [Value] = switch self[Keyword(attribute)] {
        case .tuple(let items)?: items
        case let v?: [v]
        case nil: []
        }
        return ids.compactMap { if case .int(let e) = $0 { Entity(db: db, id: e) } else { nil } }.sorted { $0.id < $1.id }
    }

    /// The attributes the entity has a value for, in name order.
    public var attributes: [Keyword] {
        var ids: [UInt32] = []
        db.scan(DatomFilter(e: id)) { d in if ids.last != d.a { ids.append(d.a) } }
        return ids.map(db.ident).sorted()
    }

    /// Every attribute and value, as `(pull [*])` gives them.
    public func touch() -> [Value: Value] {
        var puller = Puller(db)
        return (try? puller.pull(PullPattern(wildcardOnly: ()), id)) ?? [:]
    }

    public static func == (lhs: Entity, rhs: Entity) -> Bool { lhs.db === rhs.db && lhs.id == rhs.id }
    public func hash(into hasher: inout Hasher) { hasher.combine(id) }
}

extension Database {
    /// The entity `named`: an id (`.int`), an ident (`.keyword`) or a
    /// lookup ref (`.tuple([.keyword(uniqueAttribute), value])`); nil when
    /// a lookup ref or ident names none, or the id has no datom.
    public func entity(_ named: Value) throws(QuarryError) -> Entity? {
        let found = try QuarryError.mapping { try Puller(self).entity(named) }
        guard let e = found else { return nil }
        var any = false
        scan(DatomFilter(e: e)) { _ in any = true }
        return any ? Entity(db: self, id: e) : nil
    }
}
