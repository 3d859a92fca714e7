import Foundation

/// An argument of a function call as the executor passes it.
enum FunctionArgument {
    case value(EncodedValue)
    case source(Database)
}

/// The functions and predicates queries can call.
///
/// Comparisons work on engine values directly (numbers across Int64 and
/// Double by value, `=` false across types); other functions see boxed
/// ``Value``s. A function returns nil when it has no result for its
/// arguments, which drops the row, as Datomic does for a nil result.
enum Builtins {
    typealias Function = @Sendable (_ args: [FunctionArgument], _ context: ExecutionContext) throws -> Value?

    /// Whether `name` is a known function or predicate.
    static func isKnown(_ name: String) -> Bool { table[name] != nil || comparisons[name] != nil }

    /// The function `name` as a closure, looked up once (a call per row
    /// would otherwise hash the name every time); its errors name it.
    static func resolve(_ name: String, at position: SourcePosition) throws
        -> ([FunctionArgument], ExecutionContext) throws -> Value? {
        if let cmp = comparisons[name] {
            return { args, context in .bool(try compareChain(name, args, context, cmp, at: position)) }
        }
        guard let f = table[name] else { throw QueryError("unknown function \(name)", at: position) }
        return { args, context in
            do {
                return try f(args, context)
            } catch let e as FunctionError {
                throw QueryError("\(name): \(e.message)", at: position)
            }
        }
    }

    struct FunctionError: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }

    // MARK: Comparisons

    private static let comparisons: [String: @Sendable (Int) -> Bool] = [
        "<": { $0 < 0 }, "<=": { $0 <= 0 }, ">": { $0 > 0 }, ">=": { $0 >= 0 },
    ]

    private static func compareChain(_ name: String, _ args: [FunctionArgument], _ context: ExecutionContext,
                                     _ test: (Int) -> Bool, at position: SourcePosition) throws -> Bool {
        guard args.count >= 1 else { throw QueryError("\(name) needs at least one argument", at: position) }
        let values = try encoded(args, orThrow: QueryError("\(name) cannot compare a source", at: position))
        for i in 1..<max(1, values.count) {
            guard let c = ValueOrder.compare(values[i - 1], values[i], in: context.space), test(c) else { return false }
        }
        return true
    }

    // MARK: Helpers

    /// The arguments' values; `error` when one of them is a source.
    private static func encoded(_ args: [FunctionArgument], orThrow error: @autoclosure () -> Error) throws
        -> [EncodedValue]
    {
        try args.map { a in
            guard case .value(let v) = a else { throw error() }
            return v
        }
    }

    private static func values(_ args: [FunctionArgument], _ context: ExecutionContext) throws -> [Value] {
        try encoded(args, orThrow: FunctionError("unexpected source argument")).map(context.space.decode)
    }

    /// The greatest (`wanted` 1) or least (-1) argument in the sort order of values.
    private static func extreme(_ args: [FunctionArgument], _ context: ExecutionContext, wanted: Int) throws -> Value {
        let vs = try encoded(args, orThrow: FunctionError("unexpected source"))
        guard var best = vs.first else { throw FunctionError("needs at least one argument") }
        for v in vs.dropFirst() where ValueOrder.sortCompare(v, best, in: context.space) == wanted { best = v }
        return context.space.decode(best)
    }

    private static func one(_ args: [FunctionArgument], _ context: ExecutionContext) throws -> Value {
        let vs = try values(args, context)
        guard vs.count == 1 else { throw FunctionError("expected 1 argument, got \(vs.count)") }
        return vs[0]
    }

    private static func integer(_ v: Value) throws -> Int64 {
        switch v {
        case .int(let i), .ref(let i): return i
        default: throw FunctionError("expected an integer, got \(EDNWriter.write(v))")
        }
    }

    private static func number(_ v: Value) throws -> Double {
        switch v {
        case .int(let i), .ref(let i): return Double(i)
        case .double(let d): return d
        default: throw FunctionError("expected a number, got \(EDNWriter.write(v))")
        }
    }

    private static func string(_ v: Value) throws -> String {
        guard case .string(let s) = v else { throw FunctionError("expected a string, got \(EDNWriter.write(v))") }
        return s
    }

    private static func predicate(_ test: @escaping @Sendable (Value) throws -> Bool) -> Function {
        { args, context in .bool(try test(try one(args, context))) }
    }

    /// Folds numbers: integers while every argument is an integer (overflow
    /// is an error), doubles as soon as one is.
    private static func arithmetic(_ name: String, identity: Int64?,
                                   _ ints: @escaping @Sendable (Int64, Int64) -> (Int64, Bool),
                                   _ doubles: @escaping @Sendable (Double, Double) -> Double) -> Function {
        { args, context in
            let vs = try values(args, context)
            guard var acc = vs.first ?? identity.map(Value.int) else { throw FunctionError("needs at least one argument") }
            if vs.count == 1, name == "-" {
                if vs[0].isDouble {
                    acc = .double(-(try number(vs[0])))
                } else {
                    let (r, overflow) = Int64(0).subtractingReportingOverflow(try integer(vs[0]))
                    if overflow { throw FunctionError("integer overflow") }
                    acc = .int(r)
                }
            }
            for v in vs.dropFirst() {
                switch (acc, v) {
                case (.int(let a), .int(let b)):
                    let (r, overflow) = ints(a, b)
                    if overflow { throw FunctionError("integer overflow") }
                    acc = .int(r)
                default:
                    acc = .double(doubles(try number(acc), try number(v)))
                }
            }
            if vs.count == 1, name != "-" { _ = try number(acc) }
            return acc
        }
    }

    private static func divide(_ args: [FunctionArgument], _ context: ExecutionContext) throws -> Value? {
        let vs = try values(args, context)
        guard !vs.isEmpty else { throw FunctionError("needs at least one argument") }
        var acc = vs.count == 1 ? Value.int(1) : vs[0]
        for v in vs.count == 1 ? vs[...] : vs.dropFirst() {
            switch (acc, v) {
            case (.int(let a), .int(let b)):
                if b == 0 { throw FunctionError("division by zero") }
                if a == .min && b == -1 { throw FunctionError("integer overflow") }
                acc = a % b == 0 ? .int(a / b) : .double(Double(a) / Double(b))
            default:
                let b = try number(v)
                if b == 0, !v.isDouble { throw FunctionError("division by zero") }
                acc = .double(try number(acc) / b)
            }
        }
        return acc
    }

    /// `quot`, `rem` and `mod` as Clojure defines them: exact on two
    /// integers; on doubles (as soon as one argument is one) `quot` is the
    /// quotient truncated toward zero and `rem` is `n - d * quot`, both
    /// doubles. Division by zero, `Int64.min` by -1 and a quotient that is
    /// not a finite number are errors, never a trap.
    private static func integerDivision(_ kind: IntegerDivision) -> Function {
        { args, context in
            let vs = try values(args, context)
            guard vs.count == 2 else { throw FunctionError("expected 2 arguments, got \(vs.count)") }
            if case .int(let a) = vs[0], case .int(let b) = vs[1] {
                if b == 0 { throw FunctionError("division by zero") }
                if a == .min && b == -1 {
                    if kind == .quot { throw FunctionError("integer overflow") }
                    return .int(0)
                }
                return .int(kind.apply(a, b))
            }
            return .double(try kind.apply(try number(vs[0]), try number(vs[1])))
        }
    }

    enum IntegerDivision {
        case quot, rem, mod

        func apply(_ a: Int64, _ b: Int64) -> Int64 {
            switch self {
            case .quot: a / b
            case .rem: a % b
            case .mod: { let r = a % b; return r != 0 && (r < 0) != (b < 0) ? r + b : r }()
            }
        }

        func apply(_ n: Double, _ d: Double) throws -> Double {
            if d == 0 { throw FunctionError("division by zero") }
            let q = (n / d).rounded(.towardZero)
            guard q.isFinite, n.isFinite else { throw FunctionError("quotient of \(n) by \(d) is not a finite number") }
            if self == .quot { return q }
            // Clojure computes n - q * d while q fits a long, and exactly beyond.
            let r = d.isInfinite ? n : Swift.abs(q) < 9.2e18 ? n - q * d : n.truncatingRemainder(dividingBy: d)
            if self == .rem || r == 0 || (n > 0) == (d > 0) { return r }
            return r + d
        }
    }

    static func text(of v: Value) -> String {
        switch v {
        case .string(let s): s
        case .keyword(let k): k.description
        case .int(let i), .ref(let i): String(i)
        case .double(let d): EDNWriter.double(d)
        case .bool(let b): b ? "true" : "false"
        case .instant(let t): t.description
        case .uuid(let u): u.uuidString.lowercased()
        case .tuple, .map: EDNWriter.write(v)
        }
    }

    private static func instantField(_ field: @escaping @Sendable (CivilTime) -> Int) -> Function {
        { args, context in
            guard case .instant(let t) = try one(args, context) else { throw FunctionError("expected an instant") }
            return .int(Int64(field(t.fields)))
        }
    }

    private static func sourceAndEntity(_ args: [FunctionArgument], _ context: ExecutionContext)
        throws -> (Database, Int64, [Value])
    {
        guard args.count >= 3, case .source(let db) = args[0] else {
            throw FunctionError("expected a source, an entity and an attribute")
        }
        let rest = try values(Array(args.dropFirst()), context)
        return (db, try integer(rest[0]), Array(rest.dropFirst()))
    }

    /// The first value of `attribute` on entity `e`, in the query's ids.
    private static func firstValue(_ db: Database, _ e: Int64, _ attribute: Value, _ context: ExecutionContext)
        throws -> Value?
    {
        guard case .keyword(let k) = attribute else { throw FunctionError("expected an attribute keyword") }
        guard let a = db.attributeID(k) else { return nil }
        if let gate = context.gate, context.isPrimary(db), !(try gate.coversLookup(DatomFilter(e: e, a: a), parameters: [.e])) {
            return nil
        }
        var found: EncodedValue?
        db.scan(DatomFilter(e: e, a: a)) { d in if found == nil { found = d.value } }
        guard let found else { return nil }
        let v = Value(found, interner: db.interner)
        if case .ref(let r) = v { return .int(r) }
        return v
    }

    // MARK: The table

    private static let table: [String: Function] = {
        var t: [String: Function] = [:]
        let equal: Function = { args, context in
            let vs = try encoded(args, orThrow: FunctionError("cannot compare a source"))
            // NaN equals nothing, itself included.
            return .bool(vs.allSatisfy { $0 == vs[0] } && !vs.contains(where: ValueOrder.isNaN))
        }
        t["="] = equal
        t["=="] = { args, context in
            let vs = try values(args, context)
            let ns = try vs.map(number)
            return .bool(ns.allSatisfy { $0 == ns[0] })
        }
        t["!="] = { args, context in
            guard case .bool(let eq) = try equal(args, context) else { return nil }
            return .bool(!eq)
        }
        t["not="] = t["!="]
        t["odd?"] = predicate { try integer($0) & 1 == 1 }
        t["even?"] = predicate { try integer($0) & 1 == 0 }
        t["zero?"] = predicate { try number($0) == 0 }
        t["pos?"] = predicate { try number($0) > 0 }
        t["neg?"] = predicate { try number($0) < 0 }
        t["nil?"] = predicate { _ in false }
        t["some?"] = predicate { _ in true }
        t["true?"] = predicate { $0 == .bool(true) }
        t["false?"] = predicate { $0 == .bool(false) }
        t["string?"] = predicate { if case .string = $0 { true } else { false } }
        t["keyword?"] = predicate { if case .keyword = $0 { true } else { false } }
        t["number?"] = predicate { if case .int = $0 { true } else { $0.isDouble } }
        t["int?"] = predicate { if case .int = $0 { true } else { false } }
        t["integer?"] = t["int?"]
        t["double?"] = predicate { $0.isDouble }
        t["float?"] = t["double?"]
        t["boolean?"] = predicate { if case .bool = $0 { true } else { false } }
        t["inst?"] = predicate { if case .instant = $0 { true } else { false } }
        t["uuid?"] = predicate { if case .uuid = $0 { true } else { false } }
        t["str/starts-with?"] = { args, c in
            let vs = try values(args, c)
            guard vs.count == 2 else { throw FunctionError("expected 2 arguments") }
            return .bool(try string(vs[0]).hasPrefix(try string(vs[1])))
        }
        t["str/ends-with?"] = { args, c in
            let vs = try values(args, c)
            guard vs.count == 2 else { throw FunctionError("expected 2 arguments") }
            return .bool(try string(vs[0]).hasSuffix(try string(vs[1])))
        }
        t["str/includes?"] = { args, c in
            let vs = try values(args, c)
            guard vs.count == 2 else { throw FunctionError("expected 2 arguments") }
            let s = try string(vs[0]), sub = try string(vs[1])
            return .bool(sub.isEmpty || s.contains(sub))
        }
        t["str/blank?"] = predicate { try string($0).allSatisfy(\.isWhitespace) }
        t["str/lower-case"] = { args, c in .string(try string(try one(args, c)).lowercased()) }
        t["str/upper-case"] = { args, c in .string(try string(try one(args, c)).uppercased()) }
        t["str/trim"] = { args, c in .string(try string(try one(args, c)).trimmingCharacters(in: .whitespacesAndNewlines)) }

        let plus = arithmetic("+", identity: 0, { $0.addingReportingOverflow($1) }, +)
        let minus = arithmetic("-", identity: nil, { $0.subtractingReportingOverflow($1) }, -)
        t["+"] = plus
        t["-"] = minus
        t["*"] = arithmetic("*", identity: 1, { $0.multipliedReportingOverflow(by: $1) }, *)
        t["/"] = divide
        t["quot"] = integerDivision(.quot)
        t["rem"] = integerDivision(.rem)
        t["mod"] = integerDivision(.mod)
        t["inc"] = { args, c in try plus([args.first ?? .value(EncodedValue(word: 0, tag: .int)), .value(EncodedValue(word: 1, tag: .int))], c) }
        t["dec"] = { args, c in try minus([args.first ?? .value(EncodedValue(word: 0, tag: .int)), .value(EncodedValue(word: 1, tag: .int))], c) }
        t["abs"] = { args, c in
            let v = try one(args, c)
            if case .int(let i) = v {
                guard i != .min else { throw FunctionError("integer overflow") }
                return .int(Swift.abs(i))
            }
            return .double(Swift.abs(try number(v)))
        }
        t["max"] = { args, c in try extreme(args, c, wanted: 1) }
        t["min"] = { args, c in try extreme(args, c, wanted: -1) }
        t["str"] = { args, c in .string(try values(args, c).map(text).joined()) }
        t["subs"] = { args, c in
            let vs = try values(args, c)
            guard vs.count == 2 || vs.count == 3 else { throw FunctionError("expected 2 or 3 arguments") }
            let s = Array(try string(vs[0]))
            let start = Int(try integer(vs[1]))
            let end = vs.count == 3 ? Int(try integer(vs[2])) : s.count
            guard start >= 0, end <= s.count, start <= end else {
                throw FunctionError("range \(start)..<\(end) is outside a string of \(s.count) characters")
            }
            return .string(String(s[start..<end]))
        }
        t["count"] = { args, c in
            switch try one(args, c) {
            case .string(let s): return .int(Int64(s.count))
            case .tuple(let items): return .int(Int64(items.count))
            case let v: throw FunctionError("cannot count \(EDNWriter.write(v))")
            }
        }
        t["identity"] = { args, c in try one(args, c) }
        t["ground"] = { args, c in try one(args, c) }
        t["tuple"] = { args, c in .tuple(try values(args, c)) }
        t["vector"] = t["tuple"]
        t["untuple"] = { args, c in
            guard case .tuple = try one(args, c) else { throw FunctionError("expected a tuple") }
            return try one(args, c)
        }
        t["name"] = { args, c in
            switch try one(args, c) {
            case .keyword(let k): return .string(k.name)
            case .string(let s): return .string(s)
            case let v: throw FunctionError("cannot take the name of \(EDNWriter.write(v))")
            }
        }
        t["namespace"] = { args, c in
            guard case .keyword(let k) = try one(args, c) else { throw FunctionError("expected a keyword") }
            return k.namespace.map(Value.string)
        }
        t["keyword"] = { args, c in
            let vs = try values(args, c)
            switch vs.count {
            case 1: return .keyword(Keyword(try string(vs[0])))
            case 2: return .keyword(Keyword("\(try string(vs[0]))/\(try string(vs[1]))"))
            default: throw FunctionError("expected 1 or 2 arguments")
            }
        }
        t["year"] = instantField(\.year)
        t["month"] = instantField(\.month)
        t["day"] = instantField(\.day)
        t["hour"] = instantField(\.hour)
        t["minute"] = instantField(\.minute)
        t["second"] = instantField(\.second)
        t["get-else"] = { args, c in
            let (db, e, rest) = try sourceAndEntity(args, c)
            guard rest.count == 2 else { throw FunctionError("expected a source, an entity, an attribute and a default") }
            // As Datomic: which value of several would be arbitrary.
            if case .keyword(let k) = rest[0], let a = db.attributeID(k), db.attribute(a)?.cardinalityMany == true {
                throw FunctionError("\(k) is cardinality many")
            }
            return try firstValue(db, e, rest[0], c) ?? rest[1]
        }
        t["get-some"] = { args, c in
            let (db, e, attrs) = try sourceAndEntity(args, c)
            for a in attrs {
                if let v = try firstValue(db, e, a, c) { return .tuple([a, v]) }
            }
            return nil
        }
        t["missing?"] = { args, c in
            let (db, e, rest) = try sourceAndEntity(args, c)
            guard rest.count == 1 else { throw FunctionError("expected a source, an entity and an attribute") }
            return .bool(try firstValue(db, e, rest[0], c) == nil)
        }
        return t
    }()
}

extension Value {
    var isDouble: Bool { if case .double = self { true } else { false } }
}
