/// Right-linear recursion from bound arguments, rewritten so that it asks
/// only for what its start reaches.
///
/// `(reach 1 ?y)` over `[(reach ?x ?y) [?x :to ?y]] [(reach ?x ?y) [?x :to ?t] (reach ?t ?y)]`
/// passes a new value into the bound position at each step: demand would
/// ask for the answers from every node reached, each with all of its own.
/// But the free arguments pass through unchanged, so the answers from 1
/// are the exit bodies' answers from every node 1 reaches. The rewrite:
///
/// - `reach~from(s, z)`: the nodes `z` reached from seed `s`, left-linear:
///   `z = s`, and `reach~from(s, z2) :- reach~from(s, z), prefix(z, z2)`.
///   It keeps its demand (the seed passes on unchanged), so it computes
///   only what the call's seeds reach.
/// - `reach~answers(s, y) :- reach~from(s, z), exit(z, y)`, one rule per
///   exit body, called in place of the original.
extension Planner {
    /// The names of a rule's rewritten forms: `~` cannot occur in a rule
    /// name written in EDN.
    static func reachedName(_ rule: String, _ bound: [Int]) -> String {
        rule + "~from" + bound.map(String.init).joined(separator: ",")
    }

    static func answersName(_ rule: String, _ bound: [Int]) -> String {
        rule + "~answers" + bound.map(String.init).joined(separator: ",")
    }

    /// The call of right-linear `name` with `bound` bound, rewritten; nil
    /// when the rule does not have that shape.
    func rightLinearCall(_ name: String, args: [Term], bound: [Int], rules: [Rule], to op: Operator,
                         at position: SourcePosition) throws -> Operator? {
        guard !bound.isEmpty, let shape = rightLinearShape(name, bound: bound, rules: rules) else { return nil }
        let answers = Self.answersName(name, bound)
        if context.rules[answers] == nil {
            let reached = Self.reachedName(name, bound)
            let s = bound.indices.map { "?__s\($0)" }, z = bound.indices.map { "?__z\($0)" }
            let z2 = bound.indices.map { "?__z2\($0)" }
            func variable(_ v: String) -> Term { Term(kind: .variable(v), position: position) }
            func call(_ rule: String, _ vars: [String]) -> Clause {
                .rule(source: "$", name: rule, args: vars.map(variable), position)
            }
            var generated: [Rule] = []
            // Each seed reaches itself.
            generated.append(Rule(name: reached, parameters: s + z, required: [], body: zip(s, z).map { seed, node in
                .function(Call(name: "identity", args: [variable(seed)], position: position), .variable(node), position)
            }, position: position))
            for (rule, callIndex, callArgs) in shape.recursive {
                // The prefix reads the current nodes where the head's bound parameters were.
                var map: [String: String] = [:]
                for (i, b) in bound.enumerated() { map[rule.parameters[b]] = z[i] }
                var extra: [Clause] = []
                func copy(_ from: String, _ to: String) -> Clause {
                    .function(Call(name: "identity", args: [variable(from)], position: position), .variable(to), position)
                }
                for (i, b) in bound.enumerated() {
                    switch callArgs[b].kind {
                    case .variable(let v):
                        // A bound parameter passed on (to its place or another
                        // bound one) is a current node; anything else the prefix binds.
                        if let j = bound.firstIndex(where: { rule.parameters[$0] == v }) {
                            extra.append(copy(z[j], z2[i]))
                        } else {
                            map[v] = z2[i]
                        }
                    case .constant(let c):
                        extra.append(.function(Call(name: "ground", args: [Term(kind: .constant(c), position: position)],
                                                    position: position), .variable(z2[i]), position))
                    default: break
                    }
                }
                var prefix = rule.body
                prefix.remove(at: callIndex)
                generated.append(Rule(name: reached, parameters: s + z2, required: [],
                                      body: [call(reached, s + z)] + prefix.map { $0.renaming(map) } + extra,
                                      position: rule.position))
            }
            for rule in shape.exits {
                var map: [String: String] = [:]
                for (i, b) in bound.enumerated() { map[rule.parameters[b]] = z[i] }
                var params = rule.parameters
                for (i, b) in bound.enumerated() { params[b] = s[i] }
                generated.append(Rule(name: answers, parameters: params, required: [],
                                      body: [call(reached, s + z)] + rule.body.map { $0.renaming(map) },
                                      position: rule.position))
            }
            context.rules[reached] = generated.filter { $0.name == reached }
            context.rules[answers] = generated.filter { $0.name == answers }
        }
        return try callRule(answers, args: args, source: "$", to: op, at: position)
    }

    /// The exit bodies, and the recursive bodies with the index of their
    /// call, when every body of `name` is an exit (no call in its group)
    /// or right-linear for `bound`: one call of `name` itself at the top
    /// level, passing each free parameter on unchanged and using it
    /// nowhere else.
    private func rightLinearShape(_ name: String, bound: [Int], rules: [Rule])
        -> (exits: [Rule], recursive: [(Rule, Int, [Term])])? {
        var exits: [Rule] = [], recursive: [(Rule, Int, [Term])] = []
        for rule in rules {
            let free = rule.parameters.indices.filter { !bound.contains($0) }
            guard let calls = selfCalls(of: name, in: rule), calls.count <= 1 else { return nil }
            guard let (callIndex, args) = calls.first else {
                exits.append(rule)
                continue
            }
            guard args.count == rule.parameters.count else { return nil }
            for f in free where args[f].variable != rule.parameters[f] { return nil }
            // A free parameter passed into a bound place is no pass-through.
            for b in bound where free.contains(where: { args[b].variable == rule.parameters[$0] }) { return nil }
            // The free parameters only pass through.
            for (i, clause) in rule.body.enumerated() where i != callIndex {
                if free.contains(where: { clause.allVariables.contains(rule.parameters[$0]) }) { return nil }
            }
            recursive.append((rule, callIndex, args))
        }
        return recursive.isEmpty || exits.isEmpty ? nil : (exits, recursive)
    }

    /// The calls of `name` itself at the top level of `rule`'s body, with
    /// their clause index; nil when the body reaches `name` another way (a
    /// call of another rule of its group, or a call inside `not` or `or`).
    func selfCalls(of name: String, in rule: Rule) -> [(index: Int, args: [Term])]? {
        var calls: [(index: Int, args: [Term])] = []
        for (i, clause) in rule.body.enumerated() {
            if case .rule(_, let called, let args, _) = clause, called == name {
                calls.append((i, args))
            } else if clause.ruleCalls.contains(where: { $0 == name || reachable(from: $0).contains(name) }) {
                return nil
            }
        }
        return calls
    }
}
