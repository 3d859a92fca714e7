/// The constants of a query and of its inputs, interned into the replica
/// before its first round, so that the plan's constants have the source's
/// ids before the first datom arrives (a constant that got a query-local
/// id would match nothing fetched later).
extension Replica {
    /// Interns every string, keyword and UUID of `edn` (a query's text or an input).
    func intern(constantsOf edn: EDN) throws {
        switch edn.form {
        case .string(let s): _ = try interner.intern(s)
        case .keyword(let k): _ = try interner.intern(k.text)
        case .uuid(let u): _ = try interner.intern(bytes: Value.bytes(of: u))
        case .list(let items), .vector(let items), .map(let items), .set(let items):
            for child in items { try intern(constantsOf: child) }
        case .tagged(_, let inner): try intern(constantsOf: inner)
        default: break
        }
    }

    /// Interns the constants of a value given from Swift.
    func intern(constantsOf value: Value) throws {
        switch value {
        case .string(let s): _ = try interner.intern(s)
        case .keyword(let k): _ = try interner.intern(k.text)
        case .uuid(let u): _ = try interner.intern(bytes: Value.bytes(of: u))
        case .tuple(let items): for item in items { try intern(constantsOf: item) }
        default: break
        }
    }

    /// Interns the constants of an input: its EDN, its values, its rules' text.
    func intern(constantsOf input: QueryInput) throws {
        switch input.content {
        case .edn(let form): try intern(constantsOf: form)
        case .rules(let text): try intern(constantsOf: try EDNReader.readOne(text, what: "rules"))
        case .value, .list: try intern(constantsOf: try input.swiftValue())
        case .database: break
        }
    }

    /// Interns the constants of a parsed query (one built in Swift has no text to walk).
    func intern(constantsOf query: Query) throws {
        for element in query.find.elements {
            if case .aggregate(_, let arguments, _, _) = element { for a in arguments { try intern(constantsOf: a) } }
        }
        for clause in query.clauses { try intern(constantsOf: clause) }
    }

    private func intern(constantsOf clause: Clause) throws {
        switch clause {
        case .pattern(let p): try intern(terms: p.terms)
        case .predicate(let call), .function(let call, _, _): try intern(terms: call.args)
        case .not(_, _, let clauses, _): for c in clauses { try intern(constantsOf: c) }
        case .or(_, _, let branches, _): for b in branches { for c in b { try intern(constantsOf: c) } }
        case .rule(_, _, let args, _): try intern(terms: args)
        case .subquery(let sq, _, _):
            try intern(terms: sq.args)
            try intern(constantsOf: sq.query)
        }
    }

    private func intern(terms: [Term]) throws {
        for t in terms { if case .constant(let c) = t.kind { try intern(constantsOf: c) } }
    }
}
