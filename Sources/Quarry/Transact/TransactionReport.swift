/// What one transaction did (``Database/transactReport(_:at:)``).
public struct TransactionReport: Sendable {
    /// The database the transaction was applied to, unchanged.
    public let dbBefore: Database
    /// The database with the transaction applied.
    public let dbAfter: Database
    /// The transaction's id, which is also its entity (the one holding
    /// `:db/txInstant`).
    public let tx: Int64
    /// The datoms the transaction added (`added` true) and those it
    /// retracted, by entity, attribute and value. A cardinality-one
    /// assertion that replaces a value gives both. Asserting a value the
    /// database holds already changes nothing and is not listed.
    public let txData: [DatomChange]
    /// The entity id each tempid resolved to, keyed by the tempid as
    /// written: `.int(-1)` for `-1`, `.string("ann")` for `"ann"`
    /// (`"datomic.tx"`, always present, is the transaction). Entity maps without `:db/id`
    /// have no tempid to report.
    public let tempids: [Value: Int64]

    init(before: Database, after: Database, transactor: Transactor) {
        dbBefore = before
        dbAfter = after
        tx = transactor.tx
        var changes = transactor.removed.compactMap { DatomChange($0, in: before, added: false) }
        changes += transactor.added.compactMap { DatomChange($0, in: after, added: true) }
        changes.sort { x, y in
            if x.entity != y.entity { return x.entity < y.entity }
            if x.attribute != y.attribute { return x.attribute < y.attribute }
            return !x.added && y.added
        }
        txData = changes
        var tempids: [Value: Int64] = [:]
        for (t, id) in transactor.tempids {
            if let n = Int64(t) {
                tempids[.int(n)] = id
            } else if t.hasPrefix("\""), t.hasSuffix("\""), t.count >= 2 {
                tempids[.string(String(t.dropFirst().dropLast()))] = id
            }
        }
        self.tempids = tempids
    }
}

/// One datom a transaction added or retracted.
public struct DatomChange: Sendable, Hashable, CustomStringConvertible {
    /// The entity.
    public let entity: Int64
    /// The attribute.
    public let attribute: Keyword
    /// The value; a reference is the entity id, as `.int`.
    public let value: Value
    /// The transaction that asserted the datom (for a retraction, the one
    /// that had asserted it).
    public let tx: Int64
    /// Whether the datom was added (false: retracted).
    public let added: Bool

    init?(_ d: Datom, in db: Database, added: Bool) {
        guard let v = Value(d.value, interner: db.interner) else { return nil }
        (entity, attribute, value, tx, self.added) = (d.e, db.ident(d.a), v, d.tx, added)
    }

    /// `[e :attr value tx added]`, as Datomic prints a datom.
    public var description: String {
        "[\(entity) \(attribute) \(EDNWriter.write(value)) \(tx) \(added)]"
    }
}
