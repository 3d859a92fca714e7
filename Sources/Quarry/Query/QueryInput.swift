/// One value for a query's `:in`, after the leading `$` (which is the
/// database the query runs on), in the order `:in` lists them.
///
/// A binding takes a Swift value; its shape must fit the binding:
///
/// | `:in` entry   | input                                                  |
/// |---------------|--------------------------------------------------------|
/// | `?x`          | `30`, `"Ann"`, `.value(uuid)`                          |
/// | `[?x ...]`    | `[1, 2, 3]`, `.value(names)`                           |
/// | `[?a ?b]`     | `["Ann", 30]`, `.tuple("Ann", 30)`                     |
/// | `[[?a ?b]]`   | `[["Ann", 30], ["Bo", 41]]`, `.relation(pairs)`        |
/// | `$other`      | `.database(other)`                                     |
/// | `%`           | `.rules("[[(adult ?p) [?p :age ?a] [(>= ?a 18)]]]")`  |
///
/// Literals build inputs directly: `[30, "Ann"]` is a list of two inputs,
/// each an integer or a string; `[[1, 2]]` is one input that is a tuple.
/// ``edn(_:)`` passes EDN, as the CLI's `--in` does.
public struct QueryInput: Sendable {
    indirect enum Content: Sendable {
        case value(any ValueConvertible)
        case list([QueryInput])
        case edn(EDN)
        case database(Database)
        case rules(String)
    }

    let content: Content

    init(_ content: Content) {
        self.content = content
    }

    /// A Swift value: a scalar, or an array for a collection, tuple or relation.
    public static func value(_ value: some ValueConvertible) -> QueryInput { QueryInput(.value(value)) }

    /// A tuple of Swift values, for a tuple binding `[?a ?b]`.
    public static func tuple<each T: ValueConvertible>(_ values: repeat each T) -> QueryInput {
        var items: [QueryInput] = []
        for v in repeat each values { items.append(.value(v)) }
        return QueryInput(.list(items))
    }

    /// Rows of Swift tuples, for a relation binding `[[?a ?b]]`.
    public static func relation<each T: ValueConvertible>(_ rows: [(repeat each T)]) -> QueryInput {
        QueryInput(.list(rows.map { row in
            var items: [QueryInput] = []
            for v in repeat each row { items.append(.value(v)) }
            return QueryInput(.list(items))
        }))
    }

    /// EDN, read as `quarry query --in` reads it: a value for a binding, a
    /// vector of `[e a v]` or `[e a v tx]` tuples for a source, the rules for `%`.
    public static func edn(_ form: EDN) -> QueryInput { QueryInput(.edn(form)) }

    /// Another database, for a source `$name` in `:in`.
    public static func database(_ database: Database) -> QueryInput { QueryInput(.database(database)) }

    /// Rules as EDN text, for `%` in `:in`: a vector of rules.
    public static func rules(_ text: String) -> QueryInput { QueryInput(.rules(text)) }

    /// Where the input's text starts, when it came from EDN.
    var position: SourcePosition {
        if case .edn(let form) = content { return form.position }
        return .unknown
    }

    /// The value for a binding.
    func bindingValue(for binding: String) throws -> Value {
        switch content {
        case .edn(let form):
            return try CallEvaluator.constant(form)
        case .database, .rules:
            throw QueryError.input("the input for \(binding) must be a value, not \(what)")
        case .value, .list:
            let value = try swiftValue()
            try Self.checkDepth(value, level: 0)
            return value
        }
    }

    /// The value of an input given as Swift values (a value or a list).
    func swiftValue() throws(QuarryError) -> Value {
        switch content {
        case .value(let v): return try v.queryValue()
        case .list(let items):
            var values: [Value] = []
            values.reserveCapacity(items.count)
            for item in items { values.append(try item.swiftValue()) }
            return .tuple(values)
        case .edn, .database, .rules:
            throw QuarryError(.input, "\(what) cannot be an element of a tuple or collection input")
        }
    }

    /// The database for a source.
    func database(for source: String) throws -> Database {
        switch content {
        case .database(let db): return db
        case .edn(let form): return try Database.fromTuples(form)
        default: throw QueryError.input("the input for \(source) must be a database or EDN [e a v] tuples, not \(what)")
        }
    }

    /// The rules for `%`.
    func rules() throws -> [Rule] {
        switch content {
        case .edn(let form): return try QueryParser.parseRules(form)
        case .rules(let text): return try QueryParser.parseRules(try EDNReader.readOne(text, what: "rules"))
        default: throw QueryError.input("the input for % must be rules, not \(what)")
        }
    }

    private var what: String {
        switch content {
        case .value, .list: "a value"
        case .edn: "EDN"
        case .database: "a database"
        case .rules: "rules"
        }
    }

    /// Values built in Swift are held to the nesting limit of EDN text
    /// (``EDN/maxDepth``): binding them recurses once per level.
    private static func checkDepth(_ value: Value, level: Int) throws {
        guard case .tuple(let items) = value else { return }
        guard level < EDN.maxDepth else {
            throw QueryError.input("an input nests deeper than \(EDN.maxDepth) levels")
        }
        for item in items { try checkDepth(item, level: level + 1) }
    }
}

extension QueryInput: ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByStringLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral {
    public init(integerLiteral value: Int64) { self.init(.value(value)) }
    public init(floatLiteral value: Double) { self.init(.value(value)) }
    public init(stringLiteral value: String) { self.init(.value(value)) }
    public init(booleanLiteral value: Bool) { self.init(.value(value)) }
    public init(arrayLiteral elements: QueryInput...) { self.init(.list(elements)) }
}
