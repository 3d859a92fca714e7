/// Turns a query's EDN into a ``Query``: the vector form
/// `[:find ... :in ... :where ...]` or the map form `{:find [...] ...}`.
public enum QueryParser {
    /// Parses query text.
    public static func parse(_ text: String) throws -> Query {
        // The reader held the text to EDN.maxDepth already.
        try parse(read(text), depthChecked: true)
    }

    /// The query's EDN form, a reading error as a query error.
    static func read(_ text: String) throws -> EDN {
        do {
            return try EDNReader.readOne(text, what: "a query")
        } catch {
            throw QueryError(error.message, at: error.position)
        }
    }

    static let sectionNames = ["find", "keys", "strs", "syms", "with", "in", "where", "order-by", "limit"]

    /// Parses a query's EDN form (held to ``EDN/maxDepth`` first, since it may have been built in Swift).
    public static func parse(_ form: EDN) throws -> Query {
        try parse(form, depthChecked: false)
    }

    /// `depthChecked`: the form came from the reader, which held it to
    /// ``EDN/maxDepth``; a form built in Swift is walked first.
    static func parse(_ form: EDN, depthChecked: Bool) throws -> Query {
        if !depthChecked { try checkDepth(form, what: "the query") }
        var sections: [String: [EDN]] = [:]
        var sectionPositions: [String: SourcePosition] = [:]
        switch form.form {
        case .vector(let items):
            var current: String?
            for item in items {
                if let k = item.keyword, k.namespace == nil {
                    guard sectionNames.contains(k.name) else {
                        throw QueryError("unknown clause \(k)", at: item.position)
                    }
                    guard sections[k.name] == nil else { throw QueryError("duplicate clause \(k)", at: item.position) }
                    current = k.name
                    sections[k.name] = []
                    sectionPositions[k.name] = item.position
                } else if let current {
                    sections[current]!.append(item)
                } else {
                    throw QueryError("expected :find, found \(EDNWriter.write(item))", at: item.position)
                }
            }
        case .map:
            for (key, value) in form.mapPairs ?? [] {
                guard let k = key.keyword, sectionNames.contains(k.name) else {
                    throw QueryError("unknown clause \(EDNWriter.write(key))", at: key.position)
                }
                if k.name == "limit" {
                    sections[k.name] = [value]
                } else {
                    guard let items = value.vector else {
                        throw QueryError("expected a vector after \(k)", at: value.position)
                    }
                    sections[k.name] = items
                }
                sectionPositions[k.name] = key.position
            }
        default:
            throw QueryError("expected a query vector [:find ...], found a \(form.kindName)", at: form.position)
        }
        guard let findItems = sections["find"] else { throw QueryError("query has no :find", at: form.position) }
        let find = try parseFind(findItems, at: sectionPositions["find"]!)
        var keys: ResultKeys?
        for style in ResultKeys.Style.allCases {
            guard let items = sections[style.rawValue] else { continue }
            guard keys == nil else {
                throw QueryError("use only one of :keys, :strs and :syms", at: sectionPositions[style.rawValue]!)
            }
            let names = try items.map { item throws -> String in
                switch item.form {
                case .symbol(let s): return s
                case .keyword(let k): return k.text
                case .string(let s): return s
                default: throw QueryError("expected a name in :\(style.rawValue)", at: item.position)
                }
            }
            guard names.count == find.elements.count else {
                throw QueryError(":\(style.rawValue) names \(names.count) keys for \(find.elements.count) find elements",
                                 at: sectionPositions[style.rawValue]!)
            }
            keys = ResultKeys(style: style, names: names)
        }
        let with = try (sections["with"] ?? []).map { item throws -> String in
            guard let s = item.symbol, s.hasPrefix("?") else {
                throw QueryError("expected a variable in :with", at: item.position)
            }
            return s
        }
        let inputs = try (sections["in"] ?? [EDN(.symbol("$"))]).map(parseInput)
        let clauses = try (sections["where"] ?? []).map(clause)
        var orderBy: [(column: Int, descending: Bool)] = []
        if let items = sections["order-by"] {
            orderBy = try parseOrderBy(items, find: find)
        }
        var limit: Int?
        if let items = sections["limit"] {
            guard items.count == 1, case .int(let n) = items[0].form, n >= 0 else {
                throw QueryError("expected a non-negative integer after :limit",
                                 at: items.first?.position ?? sectionPositions["limit"]!)
            }
            limit = Int(n)
        }
        return Query(find: find, keys: keys, with: with, inputs: inputs, clauses: clauses, orderBy: orderBy,
                     limit: limit, position: form.position)
    }

    // MARK: :find

    static func parseFind(_ items: [EDN], at position: SourcePosition) throws -> FindSpec {
        guard !items.isEmpty else { throw QueryError("expected variables after :find", at: position) }
        if items.count == 2, items[1].symbol == "." { return .scalar(try parseFindElement(items[0])) }
        if items.count == 1, let inner = items[0].vector {
            if inner.count == 2, inner[1].symbol == "..." { return .collection(try parseFindElement(inner[0])) }
            guard !inner.isEmpty else { throw QueryError("expected variables in the find tuple", at: items[0].position) }
            return .tuple(try inner.map(parseFindElement))
        }
        return .relation(try items.map(parseFindElement))
    }

    static func parseFindElement(_ item: EDN) throws -> FindElement {
        if let s = item.symbol {
            guard s.hasPrefix("?") else {
                throw QueryError("expected a variable or an aggregate in :find, found \(s)", at: item.position)
            }
            return .variable(s, item.position)
        }
        if let list = item.list, let name = list.first?.symbol {
            if name == "pull" { return try parsePull(list, at: item.position) }
            guard list.count >= 2, let v = list.last?.symbol, v.hasPrefix("?") else {
                throw QueryError("expected (\(name) ?variable)", at: item.position)
            }
            return .aggregate(name: name, arguments: Array(list[1..<(list.count - 1)]), variable: v, item.position)
        }
        throw QueryError("expected a variable or an aggregate in :find, found \(EDNWriter.write(item))",
                         at: item.position)
    }

    /// `(pull ?e pattern)` or `(pull $src ?e pattern)`, the pattern written in place.
    static func parsePull(_ list: [EDN], at position: SourcePosition) throws -> FindElement {
        var args = list.dropFirst()
        var source = "$"
        if let s = args.first?.symbol, s.hasPrefix("$") {
            source = s
            args = args.dropFirst()
        }
        guard args.count == 2, let v = args.first?.symbol, v.hasPrefix("?") else {
            throw QueryError("expected (pull ?entity [pattern]) or (pull $source ?entity [pattern])", at: position)
        }
        let form = args[args.startIndex + 1]
        guard form.vector != nil else {
            let hint = form.symbol?.hasPrefix("?") == true ? ": a pattern from :in is not supported, write it in the query" : ""
            throw QueryError("pull takes a pattern vector, found \(EDNWriter.write(form))\(hint)", at: form.position)
        }
        return .pull(source: source, variable: v, pattern: try PullPattern(form: form), text: form, position)
    }

    static func parseOrderBy(_ items: [EDN], find: FindSpec) throws -> [(column: Int, descending: Bool)] {
        var items = items
        // One vector holding the whole list: [[?a :asc] [?b :desc]], or flat [?a :desc ?b].
        if items.count == 1, let inner = items[0].vector,
           inner.first?.vector != nil || !(inner.count == 2 && inner[1].keyword != nil) {
            items = inner
        }
        var pairs: [(EDN, EDN?)] = []
        var i = 0
        while i < items.count {
            if let v = items[i].vector {
                guard v.count == 1 || v.count == 2 else {
                    throw QueryError("expected [?variable :asc] or [?variable :desc]", at: items[i].position)
                }
                pairs.append((v[0], v.count == 2 ? v[1] : nil))
                i += 1
            } else if i + 1 < items.count, items[i + 1].keyword != nil {
                pairs.append((items[i], items[i + 1]))
                i += 2
            } else {
                pairs.append((items[i], nil))
                i += 1
            }
        }
        let texts = find.elements.map(\.text)
        return try pairs.map { key, direction in
            let text = key.symbol ?? EDNWriter.write(key)
            guard let column = texts.firstIndex(of: text) else {
                throw QueryError("order-by \(text) is not in :find", at: key.position)
            }
            var descending = false
            if let direction {
                switch direction.keyword?.text {
                case "asc": descending = false
                case "desc": descending = true
                default: throw QueryError("expected :asc or :desc", at: direction.position)
                }
            }
            return (column, descending)
        }
    }

    // MARK: :in and bindings

    static func parseInput(_ item: EDN) throws -> Input {
        if let s = item.symbol {
            if s == "%" { return .rules }
            if s.hasPrefix("$") { return .source(s) }
        }
        return .binding(try parseBinding(item))
    }

    static func parseBinding(_ item: EDN) throws -> Binding {
        if let s = item.symbol {
            if s == "_" { return .blank }
            if s.hasPrefix("?") { return .variable(s) }
            throw QueryError("expected a variable, _ or a binding form, found \(s)", at: item.position)
        }
        guard let items = item.vector, !items.isEmpty else {
            throw QueryError("expected a variable or a binding form, found \(EDNWriter.write(item))", at: item.position)
        }
        if items.count == 2, items[1].symbol == "..." { return .collection(try parseBinding(items[0])) }
        if items.count == 1, items[0].vector != nil { return .collection(try parseBinding(items[0])) }
        return .tuple(try items.map(parseBinding))
    }

    // MARK: :where

    static func parseTerm(_ item: EDN) -> Term {
        if let s = item.symbol {
            if s == "_" { return Term(kind: .blank, position: item.position) }
            if s.hasPrefix("?") { return Term(kind: .variable(s), position: item.position) }
            if s.hasPrefix("$") { return Term(kind: .source(s), position: item.position) }
        }
        return Term(kind: .constant(item), position: item.position)
    }

    /// A form nested past ``EDN/maxDepth`` as a query error.
    static func checkDepth(_ form: EDN, what: String) throws(QueryError) {
        do {
            try form.checkDepth(what: what)
        } catch {
            throw QueryError(error.message, at: error.position)
        }
    }

    /// Parses one `:where` clause.
    public static func parseClause(_ item: EDN) throws -> Clause {
        try checkDepth(item, what: "the clause")
        return try clause(item)
    }

    /// One clause. Recursion through `not`, `or` and subqueries passes
    /// here, so each shape has its own function and this frame stays small
    /// (a deep query must fit the stack; see ``EDN/maxDepth``).
    static func clause(_ item: EDN) throws -> Clause {
        switch item.form {
        case .vector(let items): try vectorClause(items, item)
        case .list(let items): try listClause(items, item)
        default: throw QueryError("expected a clause, found \(EDNWriter.write(item))", at: item.position)
        }
    }

    /// A data pattern, predicate, function expression or subquery.
    private static func vectorClause(_ items: [EDN], _ item: EDN) throws -> Clause {
        guard let first = items.first else { throw QueryError("empty clause", at: item.position) }
        if let list = first.list {
            if list.first?.symbol == "q", list.count >= 2, list[1].vector != nil || list[1].mapPairs != nil {
                guard items.count == 2 else {
                    throw QueryError("a subquery needs one binding after it", at: first.position)
                }
                let nested = try parse(list[1], depthChecked: true)
                let sub = Subquery(query: nested, args: list.dropFirst(2).map(parseTerm), position: first.position)
                return .subquery(sub, try parseBinding(items[1]), item.position)
            }
            let call = try parseCall(list, at: first.position)
            if items.count == 1 { return .predicate(call) }
            guard items.count == 2 else {
                throw QueryError("expected one binding after \(call.name)", at: items[2].position)
            }
            return .function(call, try parseBinding(items[1]), item.position)
        }
        var terms = items
        var source = "$"
        if let s = first.symbol, s.hasPrefix("$") {
            source = s
            terms.removeFirst()
        }
        guard (1...4).contains(terms.count) else {
            throw QueryError("expected a data pattern [e a v tx], found \(terms.count) terms", at: item.position)
        }
        var parsed = terms.map(parseTerm)
        for t in parsed {
            if case .source(let s) = t.kind { throw QueryError("unexpected source \(s) in a pattern", at: t.position) }
            if case .constant(let c) = t.kind, let s = c.symbol {
                throw QueryError("unexpected symbol \(s) in a pattern", at: t.position)
            }
        }
        while parsed.count < 4 { parsed.append(Term(kind: .blank, position: item.position)) }
        return .pattern(Pattern(source: source, terms: parsed, position: item.position))
    }

    /// `not`, `not-join`, `or`, `or-join` or a rule call.
    private static func listClause(_ items: [EDN], _ item: EDN) throws -> Clause {
        var items = items
        var source = "$"
        if let s = items.first?.symbol, s.hasPrefix("$"), s != "$" || items.count > 1 {
            source = s
            items.removeFirst()
        }
        guard let head = items.first?.symbol else {
            throw QueryError("expected not, not-join, or, or-join or a rule name", at: item.position)
        }
        let rest = Array(items.dropFirst())
        switch head {
        case "not":
            guard !rest.isEmpty else { throw QueryError("not needs at least one clause", at: item.position) }
            return .not(source: source, joinVariables: nil, clauses: try rest.map(clause), item.position)
        case "not-join":
            guard let vars = rest.first?.vector else {
                throw QueryError("expected a vector of variables after not-join", at: item.position)
            }
            guard rest.count > 1 else { throw QueryError("not-join needs at least one clause", at: item.position) }
            return .not(source: source, joinVariables: try variables(vars), clauses: try rest.dropFirst().map(clause),
                        item.position)
        case "or", "or-join":
            var joinVars: [String]?
            var branches = rest
            if head == "or-join" {
                guard let vars = rest.first?.vector else {
                    throw QueryError("expected a vector of variables after or-join", at: item.position)
                }
                joinVars = try variables(vars.flatMap { $0.vector ?? [$0] })
                branches.removeFirst()
            }
            guard !branches.isEmpty else { throw QueryError("\(head) needs at least one clause", at: item.position) }
            return .or(source: source, joinVariables: joinVars, branches: try branches.map(parseBranch), item.position)
        case "and":
            throw QueryError("and is only allowed inside or", at: item.position)
        default:
            return .rule(source: source, name: head, args: rest.map(parseTerm), item.position)
        }
    }

    static func parseBranch(_ item: EDN) throws -> [Clause] {
        if let list = item.list, list.first?.symbol == "and" {
            guard list.count > 1 else { throw QueryError("and needs at least one clause", at: item.position) }
            return try list.dropFirst().map(clause)
        }
        return [try clause(item)]
    }

    static func variables(_ items: [EDN]) throws -> [String] {
        try items.map { item throws -> String in
            guard let s = item.symbol, s.hasPrefix("?") else {
                throw QueryError("expected a variable, found \(EDNWriter.write(item))", at: item.position)
            }
            return s
        }
    }

    static func parseCall(_ list: [EDN], at position: SourcePosition) throws -> Call {
        guard let name = list.first?.symbol else {
            throw QueryError("expected a function name", at: list.first?.position ?? position)
        }
        return Call(name: name, args: list.dropFirst().map(parseTerm), position: position)
    }

    // MARK: Rules

    /// Parses the rules given for `%`: a vector of `[(head ...) clause ...]`.
    public static func parseRules(_ form: EDN) throws -> [Rule] {
        try checkDepth(form, what: "the rules")
        guard let items = form.vector else {
            throw QueryError("expected a vector of rules, found a \(form.kindName)", at: form.position)
        }
        return try items.map { item throws -> Rule in
            guard let parts = item.vector, let head = parts.first?.list, let name = head.first?.symbol else {
                throw QueryError("expected a rule [(name ?var ...) clause ...]", at: item.position)
            }
            var params: [String] = []
            var required: [String] = []
            for arg in head.dropFirst() {
                if let vars = arg.vector {
                    let vs = try variables(vars)
                    required += vs
                    params += vs
                } else {
                    params += try variables([arg])
                }
            }
            guard parts.count > 1 else { throw QueryError("rule \(name) has no clauses", at: item.position) }
            return Rule(name: name, parameters: params, required: required,
                        body: try parts.dropFirst().map(clause), position: item.position)
        }
    }
}
