extension Database {
    /// A database holding `datoms` as they are (DataScript's `init-db`):
    /// no transaction runs, so no tempid, upsert or uniqueness rule
    /// applies and no transaction entity is made. Entity ids must not be
    /// negative; the next transaction gets an id above every tx given.
    public convenience init(datoms: [SourceDatom], schema: [Attribute] = []) throws {
        var maxEntity: Int64 = 0, maxTx = Database.firstTx - 1
        for d in datoms {
            guard d.e >= 0, d.tx >= 0 else {
                throw TransactionError("a datom has the negative entity or transaction id \(min(d.e, d.tx))", at: .unknown)
            }
            if case .map = d.v { throw TransactionError("a datom's value cannot be a map", at: .unknown) }
            if !Database.systemEntities.contains(d.e) { maxEntity = max(maxEntity, d.e) }
            maxTx = max(maxTx, d.tx)
        }
        guard maxTx < Database.systemEntities.upperBound - 1 else {
            throw TransactionError("transaction ids are exhausted (the last was \(maxTx))", at: .unknown)
        }
        let interner = try Interner()
        let vector = try Self.encode(datoms, in: interner)
        // Set semantics: a datom given twice is held once.
        vector.withMutableElements { p in p.sort(by: Datom.eavt) }
        let unique = CoreVector<Datom>()
        try unique.reserve(vector.count)
        try vector.withElements { p in
            for (i, d) in p.enumerated() where i == 0 || !(d.e == p[i - 1].e && d.a == p[i - 1].a && d.v == p[i - 1].v
                                                           && d.vTag == p[i - 1].vTag) {
                try unique.append(d)
            }
        }
        try self.init(interner: interner, schema: Schema(schema, interner: interner), datoms: unique, maxEntity: maxEntity,
                      nextTx: maxTx + 1)
    }

    /// Datoms in the engine's form, their strings interned in `interner`;
    /// a reference is an entity id, as the store keeps it.
    static func encode(_ rows: [SourceDatom], in interner: Interner) throws -> CoreVector<Datom> {
        let datoms = CoreVector<Datom>()
        try datoms.reserve(rows.count)
        for r in rows {
            let value: Value = if case .ref(let e) = r.v { .int(e) } else { r.v }
            let v = try value.encoded(in: interner)
            try datoms.append(Datom(e: r.e, v: v.word, tx: r.tx, a: UInt32(truncatingIfNeeded: try interner.intern(r.a.text)),
                                    vTag: v.tag.rawValue))
        }
        return datoms
    }
}
