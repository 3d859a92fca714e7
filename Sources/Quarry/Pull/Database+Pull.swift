extension Database {
    /// The attributes of one entity that `pattern` asks for, as a map
    /// keyed by attribute keyword (or the `:as` names): `{}` when the
    /// entity has none of them.
    ///
    /// `entity` is an entity id (`.int`), an ident (`.keyword`, the
    /// entity whose `:db/ident` it is) or a lookup ref
    /// (`.tuple([.keyword(uniqueAttribute), value])`). Cardinality-many
    /// attributes and reverse references give `.tuple` values; references
    /// give `{:db/id e}` maps unless the pattern nests into them.
    ///
    /// ```swift
    /// let ann = try db.pull("[:person/name {:person/friend [:person/name]}]", entity: .int(1))
    /// ann[.keyword("person/name")]   // .string("Ann")
    /// ```
    public func pull(_ pattern: PullPattern, entity: Value) throws(QuarryError) -> [Value: Value] {
        try QuarryError.mapping {
            var puller = Puller(self)
            guard let e = try puller.entity(entity) else { return [:] }
            return try puller.pull(pattern, e)
        }
    }

    /// ``pull(_:entity:)-(PullPattern,_)`` with the pattern written as EDN text.
    public func pull(_ pattern: String, entity: Value) throws(QuarryError) -> [Value: Value] {
        try pull(try PullPattern(pattern), entity: entity)
    }

    /// ``pull(_:entity:)-(PullPattern,_)`` of each entity, in order.
    public func pullMany(_ pattern: PullPattern, entities: [Value]) throws(QuarryError) -> [[Value: Value]] {
        var out: [[Value: Value]] = []
        out.reserveCapacity(entities.count)
        for e in entities { out.append(try pull(pattern, entity: e)) }
        return out
    }
}
