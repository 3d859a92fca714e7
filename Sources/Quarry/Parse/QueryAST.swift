/// A term in a clause: a variable, a constant, `_`, or a source name.
public struct Term: Sendable, Hashable {
    /// What a term is.
    public enum Kind: Sendable, Hashable {
        /// A variable, `?x`.
        case variable(String)
        /// A constant: a number, string, keyword, entity id...
        case constant(EDN)
        /// The blank `_`.
        case blank
        /// A source, `$` or `$name`.
        case source(String)
    }

    /// What the term is.
    public var kind: Kind
    /// Where it is in the query text.
    public var position: SourcePosition

    /// The variable's name, when the term is a variable.
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
    /// A variable, `?x`.
    case variable(String)
    /// The blank `_`: a value not kept.
    case blank
    /// A tuple `[?a ?b]`.
    case tuple([Binding])
    /// A collection `[?x ...]`.
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
    /// The source the pattern reads, `$` unless written.
    public var source: String
    /// e, a, v and tx; missing trailing positions are blanks.
    public var terms: [Term]
    /// Where it is in the query text.
    public var position: SourcePosition
}

/// A function or predicate call `(f arg ...)`.
public struct Call: Sendable, Hashable {
    /// The function's or predicate's name.
    public var name: String
    /// Its arguments.
    public var args: [Term]
    /// Where it is in the query text.
    public var position: SourcePosition
}

/// A nested query called from `:where`: `(q [:find ...] $ ?x ?y)`. The
/// arguments go to the nested query's `:in`, positionally.
public struct Subquery: Sendable, Hashable {
    /// The nested query.
    public var query: Query
    /// The arguments bound to the nested query's `:in`.
    public var args: [Term]
    /// Where it is in the query text.
    public var position: SourcePosition
}

/// One clause of `:where` (or of a rule body).
public indirect enum Clause: Sendable, Hashable {
    /// A data pattern `[?e :attr ?v]`.
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

    /// Where the clause starts in the query text.
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
    /// The rule's name.
    public var name: String
    /// Head variables in order; `required` lists those written in brackets.
    public var parameters: [String]
    /// Parameters that must be bound when the rule is called (written `[?a]` first in the head).
    public var required: [String]
    /// The rule's clauses.
    public var body: [Clause]
    /// Where the rule is in its text.
    public var position: SourcePosition
}

/// One element of `:find`.
public enum FindElement: Sendable, Hashable {
    /// A variable.
    case variable(String, SourcePosition)
    /// `(name ?x)`, `(name n ?x)`; `arguments` holds constants before the variable.
    case aggregate(name: String, arguments: [EDN], variable: String, SourcePosition)
    /// `(pull ?e pattern)` or `(pull $src ?e pattern)`: the entity in `?e`
    /// as the map `pattern` makes of it. The query runs with the entity
    /// id in the column; the map replaces it in the result.
    case pull(source: String, variable: String, pattern: PullPattern, text: EDN, SourcePosition)

    /// The column name: `?x`, `(count ?x)` or `(pull ?e [:name])`.
    public var text: String {
        switch self {
        case .variable(let v, _): v
        case .aggregate(let name, let args, let v, _):
            "(" + ([name] + args.map(EDNWriter.write) + [v]).joined(separator: " ") + ")"
        case .pull(let source, let v, _, let pattern, _):
            "(pull " + (source == "$" ? "" : source + " ") + v + " " + EDNWriter.write(pattern) + ")"
        }
    }

    /// The variable the element reads (an aggregate's last argument).
    public var variable: String {
        switch self {
        case .variable(let v, _), .aggregate(_, _, let v, _), .pull(_, let v, _, _, _): v
        }
    }

    /// Where the element is in the query text.
    public var position: SourcePosition {
        switch self {
        case .variable(_, let p), .aggregate(_, _, _, let p), .pull(_, _, _, _, let p): p
        }
    }

    /// Whether the element is an aggregate.
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

    /// The find elements, in order.
    public var elements: [FindElement] {
        switch self {
        case .relation(let e), .tuple(let e): e
        case .scalar(let e), .collection(let e): [e]
        }
    }
}

/// An input declared in `:in`.
public enum Input: Sendable, Hashable {
    /// A source, `$name`.
    case source(String)
    /// Rules, `%`.
    case rules
    /// A binding: a scalar, tuple, collection or relation.
    case binding(Binding)
}

/// `:keys`, `:strs` or `:syms`: results as maps.
public struct ResultKeys: Sendable, Hashable {
    /// How the names are written in EDN maps.
    public enum Style: String, Sendable, CaseIterable {
        /// Keywords: `{:name "Ann"}`.
        case keys
        /// Strings: `{"name" "Ann"}`.
        case strs
        /// Symbols: `{name "Ann"}`.
        case syms
    }
    /// `:keys`, `:strs` or `:syms`.
    public var style: Style
    /// The names, in the order of the find elements.
    public var names: [String]
}

/// A parsed query.
public struct Query: Sendable, Hashable {
    /// The `:find` specification.
    public var find: FindSpec
    /// `:keys`, `:strs` or `:syms`, when given.
    public var keys: ResultKeys?
    /// The `:with` variables.
    public var with: [String]
    /// The `:in` entries.
    public var inputs: [Input]
    /// The `:where` clauses.
    public var clauses: [Clause]
    /// `:order-by`: find columns (by index) and direction.
    public var orderBy: [(column: Int, descending: Bool)]
    /// `:limit`, when given.
    public var limit: Int?
    /// Where the query starts in its text.
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
