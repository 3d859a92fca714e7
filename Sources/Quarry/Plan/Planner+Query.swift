extension Planner {
    /// The plan of a whole query over `input` (its `:in` bindings): the
    /// `:where` clauses, the distinct tuples of `keys`, the find and the
    /// `:with` variables, then the find rows (grouped by `keys` too), then
    /// `:order-by` and `:limit`.
    func planQuery(_ query: Query, input: Operator, keys: [String]) throws -> Operator {
        for element in query.find.elements {
            try Aggregates.validate(element, functions: context.functions, defersNamespaced: context.defersNamespaced)
            try validatePull(element)
        }
        let findVars = query.find.elements.map(\.variable)
        var keep = Set(findVars).union(query.with).union(keys)
        keep.formUnion(input.columns)
        let whereOp = try plan(query.clauses, input: input, keep: keep)
        for element in query.find.elements where whereOp.column(element.variable) == nil {
            throw QueryError("unbound variable \(element.variable) in :find", at: element.position)
        }
        for v in query.with where whereOp.column(v) == nil {
            throw QueryError("unbound variable \(v) in :with", at: query.position)
        }
        var projected: [String] = []
        for v in keys + findVars + query.with where !projected.contains(v) { projected.append(v) }
        // Aggregates that ignore repeats need no set of the tuples first:
        // grouping collapses them anyway.
        let elements = query.find.elements
        let repeatsIrrelevant = elements.contains(where: \.isAggregate) && elements.allSatisfy { e in
            guard case .aggregate(let name, let args, _, _) = e else { return true }
            return args.isEmpty && ["min", "max", "count-distinct", "distinct"].contains(name)
        }
        let find: Operator
        if let fused = try lookupAggregate(query, whereOp: whereOp, keys: keys, distinct: !repeatsIrrelevant) {
            find = fused
        } else {
            let distinct = repeatsIrrelevant ? whereOp
                : try Distinct(input: whereOp, columns: projected, account: context.account, counters: context.counters)
            find = try FindRows(input: distinct, keys: keys, elements: elements, space: context.space,
                                 account: context.account, random: context.random, functions: context.functions)
        }
        guard !query.orderBy.isEmpty || query.limit != nil else { return find }
        let orderBy = query.orderBy.map { (column: $0.column + keys.count, descending: $0.descending) }
        return OrderLimit(input: find, orderBy: orderBy, limit: query.limit, space: context.space,
                          account: context.account)
    }

    /// One operator for a query grouped by `keys` whose `:where` ends in a
    /// lookup of one attribute's values (`[?e :attr ?v]`) that every
    /// aggregate of its `:find` takes, over input clustered by exactly
    /// those keys (a decorrelated subquery's runs): see ``LookupAggregate``.
    /// Nil when the query is not of that form.
    private func lookupAggregate(_ query: Query, whereOp: Operator, keys: [String], distinct: Bool) throws -> Operator? {
        let elements = query.find.elements
        guard !keys.isEmpty, query.with.isEmpty, let value = elements.first?.variable,
              elements.allSatisfy({ $0.isAggregate && $0.variable == value && RunningAggregate.Kind($0) != nil }),
              let lookup = whereOp as? PatternJoin, let (entityColumn, attribute) = lookup.valueLookup,
              whereOp.columns.last == value, let input = whereOp.inputs.first, input.column(value) == nil,
              Set(input.clusteredBy) == Set(keys), input.clusteredBy.count == keys.count
        else { return nil }
        return try LookupAggregate(input: input, pattern: lookup.pattern, entityColumn: entityColumn, attribute: attribute,
                                   db: lookup.db, keys: keys, elements: elements, distinct: distinct,
                                   space: context.space, account: context.account)
    }

    /// A pull reads a database the query was given, at the end of the
    /// outermost query: its maps are results, not values a nested query
    /// hands on, and a remote query's replica holds only what it fetched.
    private func validatePull(_ element: FindElement) throws {
        guard case .pull(let source, _, _, _, let position) = element else { return }
        if context.isNested {
            throw QueryError("pull in a nested query is not supported: pull in the outer query's :find", at: position)
        }
        if context.gate != nil {
            throw QueryError("pull is not supported on a remote source: find the entity ids, then pull them", at: position)
        }
        _ = try context.source(source, at: position)
    }
}
