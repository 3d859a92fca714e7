/// Functions, predicates and aggregates of your own, called from queries
/// as the builtins are.
///
/// ```swift
/// var functions = QueryFunctions()
/// try functions.register(function: "geo/distance") { args in
///     guard case .double(let a) = args[0], case .double(let b) = args[1] else { return nil }
///     return .double(abs(a - b))
/// }
/// try functions.register(aggregate: "stats/product") { values in
///     .int(values.reduce(1) { if case .int(let i) = $1 { $0 * i } else { $0 } })
/// }
/// let options = QueryOptions(functions: functions)
/// try db.query("[:find ?d :where [?a :x ?x] [?b :x ?y] [(geo/distance ?x ?y) ?d]]", [], options: options)
/// ```
///
/// Names are namespaced symbols, `namespace/name`, so that they can never
/// collide with a builtin (the `str` namespace is the builtins'). A
/// function gets its arguments' values and returns a value, or nil to drop
/// the row (as Datomic does for a nil result); a predicate keeps the rows
/// it returns true for; an aggregate, written `(ns/name ?x)` in `:find`,
/// gets the values of one group (a bag: with `:with`, repeated values
/// stay). Whatever one throws fails the query with a ``QuarryError`` of
/// kind ``QuarryError/Kind/query`` naming it and the call's position. They
/// run on the query's thread, and must be `Sendable`: one set of functions
/// serves every query that uses it.
///
/// A ``PreparedQuery`` accepts calls of namespaced functions it does not
/// know yet; the run's ``QueryOptions/functions`` must have them.
public struct QueryFunctions: Sendable {
    /// A function: the arguments' values in, a value or nil out.
    public typealias Function = @Sendable ([Value]) throws -> Value?
    /// An aggregate: one group's values in, its value out.
    public typealias Aggregate = @Sendable ([Value]) throws -> Value

    var functions: [String: Function] = [:]
    var aggregates: [String: Aggregate] = [:]

    /// No functions.
    public init() {}

    /// Registers a function called as `[(name args...) binding]`.
    public mutating func register(function name: String, _ body: @escaping Function) throws(QuarryError) {
        try Self.check(name, taken: functions[name] != nil || aggregates[name] != nil)
        functions[name] = body
    }

    /// Registers a predicate called as `[(name args...)]`.
    public mutating func register(predicate name: String,
                                  _ body: @escaping @Sendable ([Value]) throws -> Bool) throws(QuarryError) {
        try register(function: name) { .bool(try body($0)) }
    }

    /// Registers an aggregate used as `(name ?x)` in `:find`.
    public mutating func register(aggregate name: String, _ body: @escaping Aggregate) throws(QuarryError) {
        try Self.check(name, taken: functions[name] != nil || aggregates[name] != nil)
        aggregates[name] = body
    }

    /// Whether `name` may be registered: `namespace/name`, both parts
    /// symbol characters, not the builtins' namespace, not taken.
    private static func check(_ name: String, taken: Bool) throws(QuarryError) {
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        let symbol = { (s: Substring) in
            !s.isEmpty && s.allSatisfy { $0.isLetter || $0.isNumber || "-_.*+!?<>=".contains($0) }
                && !(s.first?.isNumber ?? false)
        }
        guard parts.count == 2, symbol(parts[0]), symbol(parts[1]) else {
            throw QuarryError(.query, "a function's name must be namespace/name, found \(name)")
        }
        guard parts[0] != "str", !Builtins.isKnown(name) else {
            throw QuarryError(.query, "\(name) is a builtin's name")
        }
        guard !taken else { throw QuarryError(.query, "\(name) is registered already") }
    }

    /// Whether `name` could be registered (a namespaced name that is no
    /// builtin's): a prepared query accepts such calls before a run has
    /// the functions.
    static func isNamespaced(_ name: String) -> Bool {
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty && parts[0] != "str" && !Builtins.isKnown(name)
    }
}
