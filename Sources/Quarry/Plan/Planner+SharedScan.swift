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
    /// of another group.
    func sharedPrefixes(of clauses: [Clause], decorrelated: [Int: NestedInputs]) -> [Int: SharedPrefix] {
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
            for (i, m) in members.enumerated() {
                let names = Dictionary(uniqueKeysWithValues: renamed[i].map.map { ($0.value, $0.key) })
                out[m.index] = SharedPrefix(group: group, names: names, clauses: chosen[i].map(\.index))
            }
        }
        return out
    }

    /// The reader of a subquery's shared prefix, over the scan its runs'
    /// argument tuples go to (columns `inputs`), planning the prefix when
    /// this is the group's first member; nil when the subquery shares none.
    func sharedPrefixRead(_ shared: SharedPrefix?, inputs: [String], context nestedContext: ExecutionContext,
                          estimatedInputs: Double) throws -> (keys: RelationScan, read: SharedScanRead, clauses: [Int])? {
        guard let shared else { return nil }
        let keys = try RelationScan(RowBuffer(arity: inputs.count, account: context.account), columns: inputs,
                                    label: "all distinct outer bindings")
        keys.clusteredBy = inputs
        let group = shared.group
        let first = group.scan == nil
        if first {
            let input = try RelationScan(RowBuffer(arity: group.inputs.count, account: context.account),
                                         columns: group.inputs, label: "all distinct outer bindings")
            input.estimatedRows = estimatedInputs
            input.clusteredBy = group.inputs
            let plan = try Planner(context: nestedContext).plan(group.clauses, input: input,
                                                                keep: group.clauses.reduce(into: []) { $0.formUnion($1.variables) })
            let patterns = group.clauses.map { if case .pattern(let p) = $0 { "[" + p.terms.map(\.text).joined(separator: " ") + "]" } else { "" } }
            group.scan = SharedScan(input: input, plan: plan,
                                    label: "shared by \(group.members) subqueries: \(patterns.joined(separator: " "))",
                                    account: context.account)
        }
        let scan = group.scan!
        let read = try SharedScanRead(scan, keys: keys, columns: scan.plan.columns.map { shared.names[$0]! },
                                      showsPlan: first)
        return (keys, read, shared.clauses)
    }
}
