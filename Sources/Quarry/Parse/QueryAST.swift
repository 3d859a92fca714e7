/// A term in a clause: a variable, a constant, `_`, or a source name.
public struct Term: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case variable(String)
        case constant(EDN)
        case blank
        case source(String)
    }

    public var kind: Kind
    public var position: SourcePosition

    public var variable: String? { if case .variable(let v) = kind { v } else { nil } }

    /// The term as written: `?x`, `_`, `$src` or the constant's EDN.
    public var text: String {
        switch kind {
        case .variable(let v): v
        case .constant(let c): EDNWriter.write(c)
        case .blank: "_"
        case .source(let s): s
        }
    }

    public static func == (lhs: Term, rhs: Term) -> Bool { lhs.kind == rhs.kind }
    public func hash(into hasher: inout Hasher) { hasher.combine(kind) }
}

/// How a value or a collection binds variables: `?x`, `_`, `[?a ?b]`
/// (a tuple), `[?x ...]` (a collection), `[[?a ?b]]` (a relation: a
/// collection of tuples).
public indirect enum Binding: Sendable, Hashable {
    case variable(String)
    case blank
    case tuple([Binding])
    case collection(Binding)

    /// The variables bound, in order, without repeats.
    public var variables: [String] {
        var out: [String] = []
        func walk(_ b: Binding) {
            switch b {
            case .variable(let v): if !out.contains(v) { out.append(v) }
            case .blank: break
            case .tuple(let items): items.forEach(walk)
            case .collection(let inner): walk(inner)
            }
        }
        walk(self)
        return out
    }
}

/// A data pattern `[$src e a v tx]`.
public struct Pattern: Sendable, Hashable {
    public var source: String
    /// e, a, v and tx; missing trailing positions are blanks.
    public var terms: [Term]
    public var position: SourcePosition
}

/// A function or predicate call `(f arg ...)`.
public struct Call: Sendable, Hashable {
    public var name: String
    public var args: [Term]
    public var position: SourcePosition
}

/// A nested query called from `:where`: `(q [:find ...] $ ?x ?y)`. The
/// arguments go to the nested query's `:in`, positionally.
public struct Subquery: Sendable, Hashable {
    public var query: Query
    public var args: [Term]
    public var position: SourcePosition
}

/// One clause of `:where` (or of a rule body).
public indirect enum Clause: Sendable, Hashable {
    case pattern(Pattern)
    /// `[(pred args...)]`
    case predicate(Call)
    /// `[(f args...) binding]`
    case function(Call, Binding, SourcePosition)
    /// `(not ...)` (joinVariables nil) or `(not-join [?a ...] ...)`.
    case not(source: String, joinVariables: [String]?, clauses: [Clause], SourcePosition)
    /// `(or ...)` or `(or-join [?a ...] ...)`: each branch a clause list (`(and ...)` or one clause).
    case or(source: String, joinVariables: [String]?, branches: [[Clause]], SourcePosition)
    /// `(rule-name args...)`
    case rule(source: String, name: String, args: [Term], SourcePosition)
    /// `[(q query args...) binding]`
    case subquery(Subquery, Binding, SourcePosition)

    public var position: SourcePosition {
        switch self {
        case .pattern(let p): p.position
        case .predicate(let c): c.position
        case .function(_, _, let p), .not(_, _, _, let p), .or(_, _, _, let p), .rule(_, _, _, let p),
             .subquery(_, _, let p): p
        }
    }
}

/// A rule: `[(name ?a [?req] ...) clause ...]`; several rules may share a name.
public struct Rule: Sendable, Hashable {
    public var name: String
    /// Head variables in order; `required` lists those written in brackets.
    public var parameters: [String]
    public var required: [String]
    public var body: [Clause]
    public var position: SourcePosition
}

/// One element of `:find`.
public enum FindElement: Sendable, Hashable {
    case variable(String, SourcePosition)
    /// `(name ?x)`, `(name n ?x)`; `arguments` holds constants before the variable.
    case aggregate(name: String, arguments: [EDN], variable: String, SourcePosition)

    /// The column name: `?x` or `(count ?x)`.
    public var text: String {
        switch self {
        case .variable(let v, _): v
        case .aggregate(let name, let args, let v, _):
            "(" + ([name] + args.map(EDNWriter.write) + [v]).joined(separator: " ") + ")"
        }
    }

    public var variable: String {
        switch self {
        case .variable(let v, _), .aggregate(_, _, let v, _): v
        }
    }

    public var isAggregate: Bool { if case .aggregate = self { true } else { false } }
}

/// The shape of the result.
public enum FindSpec: Sendable, Hashable {
    /// `:find ?a ?b`: a set of tuples.
    case relation([FindElement])
    /// `:find ?x .`: one value.
    case scalar(FindElement)
    /// `:find [?x ...]`: the values of one column.
    case collection(FindElement)
    /// `:find [?a ?b]`: one tuple.
    case tuple([FindElement])

    public var elements: [FindElement] {
        switch self {
        case .relation(let e), .tuple(let e): e
        case .scalar(let e), .collection(let e): [e]
        }
    }
}

/// An input declared in `:in`.
public enum Input: Sendable, Hashable {
    case source(String)
    case rules
    case binding(Binding)
}

/// `:keys`, `:strs` or `:syms`: results as maps.
public struct ResultKeys: Sendable, Hashable {
    public enum Style: String, Sendable, CaseIterable { case keys, strs, syms }
    public var style: Style
    public var names: [String]
}

/// A parsed query.
public struct Query: Sendable, Hashable {
    public var find: FindSpec
    public var keys: ResultKeys?
    public var with: [String]
    public var inputs: [Input]
    public var clauses: [Clause]
    /// `:order-by`: find columns (by index) and direction.
    public var orderBy: [(column: Int, descending: Bool)]
    public var limit: Int?
    public var position: SourcePosition

    public static func == (lhs: Query, rhs: Query) -> Bool {
        lhs.find == rhs.find && lhs.keys == rhs.keys && lhs.with == rhs.with && lhs.inputs == rhs.inputs
            && lhs.clauses == rhs.clauses && lhs.limit == rhs.limit
            && lhs.orderBy.map(\.column) == rhs.orderBy.map(\.column)
            && lhs.orderBy.map(\.descending) == rhs.orderBy.map(\.descending)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(find)
        hasher.combine(clauses)
    }
}
