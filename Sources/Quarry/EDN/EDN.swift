import Foundation

/// A line and column in EDN text, both counted from 1.
public struct SourcePosition: Sendable, Hashable, CustomStringConvertible {
    /// The line, from 1; 0 when unknown.
    public var line: Int
    /// The column, from 1, in characters; 0 when unknown.
    public var column: Int

    /// A position at `line` and `column`.
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    /// The position of something that came from no text.
    public static let unknown = SourcePosition(line: 0, column: 0)

    public var description: String { "\(line):\(column)" }
}

/// An error that names what is wrong and, when known, where:
/// `message at line:column`.
public protocol PositionedError: Error, CustomStringConvertible {
    /// What is wrong.
    var message: String { get }
    /// Where it is; ``SourcePosition/unknown`` when nowhere in particular.
    var position: SourcePosition { get }
}

extension PositionedError {
    public var description: String {
        position == .unknown ? message : "\(message) at \(position)"
    }
}

/// One EDN form with the position where it starts.
///
/// The reader keeps positions on every form so that the query parser and
/// the transaction loader can name the line and column of what they reject.
public struct EDN: Sendable, Hashable {
    /// The kinds of form EDN has.
    public indirect enum Form: Sendable, Hashable {
        /// `nil`.
        case `nil`
        /// `true` or `false`.
        case bool(Bool)
        /// An integer.
        case int(Int64)
        /// A floating-point number.
        case double(Double)
        /// A string, its escapes resolved.
        case string(String)
        /// A character (`\\a`, `\\newline`).
        case char(Character)
        /// A keyword such as `:person/name`.
        case keyword(Keyword)
        /// A symbol such as `?x` or `count`.
        case symbol(String)
        /// A list `( ... )`.
        case list([EDN])
        /// A vector `[ ... ]`.
        case vector([EDN])
        /// A map `{ ... }`: keys and values alternating, in the order written.
        case map([EDN])  // keys and values alternating, in the order written
        /// A set `#{ ... }`.
        case set([EDN])
        /// An instant `#inst "..."`.
        case instant(Instant)
        /// A UUID `#uuid "..."`.
        case uuid(UUID)
        /// Another tagged form `#tag form`: the tag and the form.
        case tagged(String, EDN)
    }

    /// What the form is.
    public var form: Form
    /// Where it starts in its text.
    public var position: SourcePosition

    /// A form at `position`.
    public init(_ form: Form, at position: SourcePosition = .unknown) {
        self.form = form
        self.position = position
    }

    /// Equality and hashing ignore positions: two forms are equal when they
    /// are written the same.
    public static func == (lhs: EDN, rhs: EDN) -> Bool { lhs.form == rhs.form }
    public func hash(into hasher: inout Hasher) { hasher.combine(form) }
}

extension EDN {
    /// The symbol's name, when the form is a symbol.
    public var symbol: String? { if case .symbol(let s) = form { s } else { nil } }
    /// The keyword, when the form is a keyword.
    public var keyword: Keyword? { if case .keyword(let k) = form { k } else { nil } }
    /// The elements of a vector.
    public var vector: [EDN]? { if case .vector(let v) = form { v } else { nil } }
    /// The elements of a list.
    public var list: [EDN]? { if case .list(let v) = form { v } else { nil } }
    /// The elements of a vector or a list.
    public var sequence: [EDN]? {
        switch form {
        case .vector(let v), .list(let v): v
        default: nil
        }
    }
    /// Key-value pairs of a map.
    public var mapPairs: [(key: EDN, value: EDN)]? {
        guard case .map(let kv) = form else { return nil }
        return stride(from: 0, to: kv.count - 1, by: 2).map { (kv[$0], kv[$0 + 1]) }
    }

    /// A short name of the form's kind, for error messages.
    public var kindName: String {
        switch form {
        case .nil: "nil"
        case .bool: "boolean"
        case .int: "integer"
        case .double: "number"
        case .string: "string"
        case .char: "character"
        case .keyword: "keyword"
        case .symbol: "symbol"
        case .list: "list"
        case .vector: "vector"
        case .map: "map"
        case .set: "set"
        case .instant: "instant"
        case .uuid: "uuid"
        case .tagged(let t, _): "#\(t)"
        }
    }
}

extension EDN {
    /// The deepest nesting of collections and tagged forms Quarry accepts,
    /// from text or from Swift. Reading, parsing, transacting and
    /// evaluating recurse once or a few times per level. A query's clauses
    /// (`not`, `or`, rule calls, subqueries) may nest 64 levels deep, counted
    /// through rule bodies and nested queries. At both limits the deepest
    /// input runs within 512 KiB of stack, even unoptimized (tests hold it
    /// to that), so they hold on any thread a host is likely to query on.
    public static let maxDepth = 100

    /// Throws when `self` nests deeper than ``maxDepth``: forms built in
    /// Swift do not pass through the reader's check. Walks with an explicit
    /// stack, so the check itself cannot overflow.
    public func checkDepth(what: String = "a form") throws(EDNError) {
        var pending: [(EDN, Int)] = [(self, 1)]
        while let (form, depth) = pending.popLast() {
            let children: [EDN]
            switch form.form {
            case .list(let items), .vector(let items), .map(let items), .set(let items): children = items
            case .tagged(_, let inner): children = [inner]
            default: continue
            }
            guard depth <= Self.maxDepth else {
                throw EDNError("\(what) nests deeper than \(Self.maxDepth) levels", at: form.position)
            }
            for child in children { pending.append((child, depth + 1)) }
        }
    }
}
