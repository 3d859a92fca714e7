/// Decorrelated subqueries of one clause list that take the same arguments
/// and start with the same patterns (up to the names of their variables)
/// share one evaluation of those patterns: the OHLC query's four
/// subqueries all find the bars of a symbol and hour before each reads
/// one price.
final class SharedPrefixGroup {
    /// The common leading patterns, with inputs named `?__in0`, `?__in1`...
    /// and other variables `?__p0`, `?__p1`...
    let clauses: [Clause]
    let inputs: [String]
    let members: Int
    /// Built when the first member is planned.
    var scan: SharedScan?
    /// The clause list's own patterns that are the group's, if it has them.
    var outer: OuterMatch?

    /// Patterns of the outer clause list that are the group's own: each
    /// canonical variable's outer name (input i is argument i, every
    /// other one a variable the list names nowhere else), and each nested
    /// source name's outer one. The outer rows that found them, projected,
    /// are then the shared scan's rows for the argument tuples they hold.
    struct OuterMatch {
        let names: [String: String]
        let sources: [String: String]
    }

    /// The canonical name of input `i`.
    static func inputName(_ i: Int) -> String { "?__in\(i)" }

    init(clauses: [Clause], inputs: [String], members: Int) {
        self.clauses = clauses
        self.inputs = inputs
        self.members = members
    }
}

/// One member's view of a ``SharedPrefixGroup``.
struct SharedPrefix {
    let group: SharedPrefixGroup
    /// Canonical variable name to the member's own.
    let names: [String: String]
    /// The indices, in the member's `:where`, of the patterns the group
    /// evaluates for it (its leading patterns, in any order).
    let clauses: [Int]
}

extension Planner {
    /// The leading patterns of `clauses`: those before any other kind of
    /// clause (patterns commute, so any of them may go first), each with
    /// its index and a key that does not depend on variable names (source,
    /// attribute and constants, where the inputs are).
    private func leadingPatterns(_ clauses: [Clause], inputs: [String]) -> [(index: Int, pattern: Pattern, key: String)] {
        let inputIndex = Dictionary(inputs.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        var out: [(index: Int, pattern: Pattern, key: String)] = []
        for (i, clause) in clauses.enumerated() {
            guard case .pattern(let p) = clause else { break }
            let key = p.source + " " + p.terms.map { t in
                switch t.kind {
                case .variable(let v): inputIndex[v].map { "?in\($0)" } ?? "?"
                case .constant(let c): EDNWriter.write(c)
                case .blank: "_"
                case .source(let s): s
                }
            }.joined(separator: " ")
            out.append((i, p, key))
        }
        return out
    }

    /// `patterns` renamed canonically: inputs by position, other variables
    /// by first appearance.
    private func canonical(_ patterns: [Pattern], inputs: [String]) -> (patterns: [Pattern], map: [String: String]) {
        var map: [String: String] = [:]
        for (i, v) in inputs.enumerated() { map[v] = SharedPrefixGroup.inputName(i) }
        var out: [Pattern] = []
        for p in patterns {
            for v in p.terms.compactMap(\.variable) where map[v] == nil { map[v] = "?__p\(map.count - inputs.count)" }
            if case .pattern(let renamed) = Clause.pattern(p).renaming(map) { out.append(renamed) }
        }
        return (out, map)
    }

    /// The groups of decorrelated subqueries in `clauses` that share
    /// leading patterns, by the index of each member in `clauses`.
    /// `decorrelated`: the inputs of each decorrelated subquery, by index
    /// (the logical form has worked them out). Scoped to this clause list:
    /// the same subquery text met again (a rule expanded twice, a rule's
    /// text whose positions coincide with the query's) is another member
    /// of another group. `entry`: the variables bound as the list begins.
    func sharedPrefixes(of clauses: [Clause], entry: Set<String>, decorrelated: [Int: NestedInputs]) -> [Int: SharedPrefix] {
        struct Member {
            var index: Int
            var inputs: [String]
            var leading: [(index: Int, pattern: Pattern, key: String)]
        }
        guard decorrelated.count > 1 else { return [:] }
        var groups: [String: [Member]] = [:]
        var order: [String] = []
        for (index, clause) in clauses.enumerated() {
            guard case .subquery(let sq, _, _) = clause, let inputs = decorrelated[index] else { continue }
            let sources = inputs.sources.map { "\($0.key)=\(ObjectIdentifier($0.value).hashValue)" }.sorted()
            let key = (inputs.arguments.map(\.text) + ["|"] + sources).joined(separator: " ")
            let leading = leadingPatterns(sq.query.clauses, inputs: inputs.variables)
            guard !leading.isEmpty else { continue }
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(Member(index: index, inputs: inputs.variables, leading: leading))
        }
        var out: [Int: SharedPrefix] = [:]
        for key in order {
            let members = groups[key]!
            guard members.count > 1 else { continue }
            // The patterns every member has exactly once (by their name-free
            // key), in key order; shared when, renamed canonically, they are
            // the same patterns in every member (their variables link alike).
            var common: Set<String>?
            for m in members {
                let once = Dictionary(grouping: m.leading, by: \.key).filter { $0.value.count == 1 }.keys
                common = common.map { $0.intersection(once) } ?? Set(once)
            }
            guard let common, !common.isEmpty else { continue }
            let chosen = members.map { m in m.leading.filter { common.contains($0.key) }.sorted { $0.key < $1.key } }
            let renamed = zip(members, chosen).map { m, c in canonical(c.map(\.pattern), inputs: m.inputs) }
            let first = renamed[0].patterns
            guard renamed.dropFirst().allSatisfy({ r in
                r.patterns.count == first.count && zip(r.patterns, first).allSatisfy { $0.source == $1.source && $0.terms == $1.terms }
            }) else { continue }
            let group = SharedPrefixGroup(clauses: first.map(Clause.pattern),
                                          inputs: members[0].inputs.indices.map(SharedPrefixGroup.inputName),
                                          members: members.count)
            group.outer = outerMatch(first, arguments: decorrelated[members[0].index]!.arguments, in: clauses, entry: entry)
            for (i, m) in members.enumerated() {
                let names = Dictionary(uniqueKeysWithValues: renamed[i].map.map { ($0.value, $0.key) })
                out[m.index] = SharedPrefix(group: group, names: names, clauses: chosen[i].map(\.index))
            }
        }
        return out
    }

    /// The `Distinct` that projects the outer rows `op` to a subquery's
    /// arguments, when those rows hold the group's patterns already
    /// (`match`), so that the shared scan may read them (``OuterRows``): in
    /// a local query, a `Distinct` straight on rows that have every
    /// variable of the match and a key among them (so the projection to
    /// them repeats no row), the patterns' sources the same databases.
    private func outerRowsDistinct(_ match: SharedPrefixGroup.OuterMatch, over op: Operator,
                                   nested: NestedInputs) -> Distinct? {
        guard context.gate == nil, let distinct = op as? Distinct else { return nil }
        let rows = distinct.inputs[0]
        let names = Set(match.names.values)
        guard names.isSubset(of: rows.columns), rows.uniqueKey?.isSubset(of: names) ?? false else { return nil }
        for (inner, outer) in match.sources {
            guard let a = nested.sources[inner], let b = context.sources[outer], a === b else { return nil }
        }
        return distinct
    }

    /// Where `clauses` holds the group's `patterns` themselves (see
    /// ``SharedPrefixGroup/OuterMatch``): each matched to a pattern of its
    /// own, every pattern naming a variable besides the inputs, and those
    /// variables named by no other clause and not bound on entry (so
    /// nothing else restricts or multiplies the rows that found them).
    private func outerMatch(_ patterns: [Pattern], arguments: [Term], in clauses: [Clause],
                            entry: Set<String>) -> SharedPrefixGroup.OuterMatch? {
        var names: [String: String] = [:]
        for (i, a) in arguments.enumerated() {
            guard let v = a.variable else { return nil }
            names[SharedPrefixGroup.inputName(i)] = v
        }
        let argumentVariables = Set(names.values)
        guard argumentVariables.count == arguments.count else { return nil }
        let candidates = clauses.indices.compactMap { i -> (Int, Pattern)? in
            if case .pattern(let p) = clauses[i] { (i, p) } else { nil }
        }
        var sources: [String: String] = [:]
        var used: Set<Int> = []
        func bind(_ t: Term, _ u: Term) -> Bool {
            switch (t.kind, u.kind) {
            case (.variable(let v), .variable(let w)):
                if let named = names[v] { return named == w }
                guard !argumentVariables.contains(w), !names.values.contains(w) else { return false }
                names[v] = w
                return true
            case (.constant(let c), .constant(let d)): return c == d
            case (.blank, .blank): return true
            default: return false
            }
        }
        // Each pattern to a pattern of the list not taken yet, backtracking on a name that does not fit.
        func match(_ k: Int) -> Bool {
            guard k < patterns.count else { return true }
            let p = patterns[k]
            for (i, q) in candidates where !used.contains(i) && q.terms.count == p.terms.count
                && (sources[p.source] ?? q.source) == q.source {
                let saved = (names, sources)
                sources[p.source] = q.source
                if zip(p.terms, q.terms).allSatisfy(bind) {
                    used.insert(i)
                    if match(k + 1) { return true }
                    used.remove(i)
                }
                (names, sources) = saved
            }
            return false
        }
        guard match(0) else { return nil }
        let own = Set(names.filter { !argumentVariables.contains($0.value) }.values)
        func namesOwn(_ p: Pattern) -> Bool { p.terms.contains { t in t.variable.map { own.contains(names[$0] ?? "") } ?? false } }
        guard own.isDisjoint(with: entry), patterns.allSatisfy(namesOwn),
              clauses.indices.allSatisfy({ used.contains($0) || clauses[$0].allVariables.isDisjoint(with: own) })
        else { return nil }
        return SharedPrefixGroup.OuterMatch(names: names, sources: sources)
    }

    /// The reader of a subquery's shared prefix, over the scan its runs'
    /// argument tuples go to (columns: the nested inputs), planning the
    /// prefix when this is the group's first member, joined to the outer
    /// rows `op`; nil when the subquery shares none. When `op` holds the
    /// group's patterns already (``SharedPrefixGroup/OuterMatch``), the
    /// scan may read its rows instead (``OuterRows``).
    func sharedPrefixRead(_ shared: SharedPrefix?, nested: NestedInputs, over op: Operator,
                          context nestedContext: ExecutionContext, estimatedInputs: Double)
        throws -> (keys: RelationScan, read: SharedScanRead, clauses: [Int])? {
        guard let shared else { return nil }
        let inputs = nested.variables
        let keys = try RelationScan(RowBuffer(arity: inputs.count, account: context.account), columns: inputs,
                                    label: "all distinct outer bindings")
        keys.clusteredBy = inputs
        keys.uniqueKey = Set(inputs)
        let group = shared.group
        let first = group.scan == nil
        if first {
            let input = try RelationScan(RowBuffer(arity: group.inputs.count, account: context.account),
                                         columns: group.inputs, label: "all distinct outer bindings")
            input.estimatedRows = estimatedInputs
            input.clusteredBy = group.inputs
            input.uniqueKey = Set(group.inputs)
            let plan = try Planner(context: nestedContext).plan(group.clauses, input: input,
                                                                keep: group.clauses.reduce(into: []) { $0.formUnion($1.variables) })
            let patterns = group.clauses.map { if case .pattern(let p) = $0 { "[" + p.terms.map(\.text).joined(separator: " ") + "]" } else { "" } }
            var outerRows: OuterRows?
            if let match = group.outer, let outer = outerRowsDistinct(match, over: op, nested: nested) {
                // The shared rows' columns, taken from the outer rows the Distinct reads.
                let from = outer.inputs[0].columns
                outerRows = try OuterRows(columns: plan.columns.map { from.firstIndex(of: match.names[$0]!)! },
                                          keyColumns: group.inputs.map { from.firstIndex(of: match.names[$0]!)! },
                                          checkedByDistinct: Set(outer.columns) == Set(group.inputs.map { match.names[$0]! }),
                                          account: context.account)
                outer.outerRows = outerRows
            }
            let scan = SharedScan(input: input, plan: plan,
                                  label: "shared by \(group.members) subqueries: \(patterns.joined(separator: " "))"
                                      + (outerRows == nil ? "" : ", or the outer rows when they come grouped"),
                                  account: context.account)
            scan.outerRows = outerRows
            group.scan = scan
        }
        let scan = group.scan!
        let read = try SharedScanRead(scan, keys: keys, columns: scan.plan.columns.map { shared.names[$0]! },
                                      showsPlan: first)
        return (keys, read, shared.clauses)
    }
}
