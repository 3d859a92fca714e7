import Foundation

/// A malformed EDN text: what was expected, and where.
public struct EDNError: PositionedError, Sendable, Equatable {
    public let message: String
    public let position: SourcePosition

    /// An error with its message and position.
    public init(_ message: String, at position: SourcePosition) {
        self.message = message
        self.position = position
    }
}

/// Reads EDN text into ``EDN`` forms, recording each form's line and column.
///
/// The reader works on UTF-8 bytes and reads the whole of EDN: nil,
/// booleans, strings with escapes, characters, integers (with an optional
/// `N`), floating point (with an optional `M`), keywords, symbols, lists,
/// vectors, maps, sets, `#inst`, `#uuid`, other tagged forms, `#_` discard,
/// comments and commas.
///
/// Collections nest at most ``EDN/maxDepth`` deep: the reader, the query
/// parser and the planner recurse once per level, and the limit keeps the
/// deepest input within the smallest stack a query runs on.
public struct EDNReader {
    private let bytes: [UInt8]
    private var index = 0
    private var depth = 0
    private var line = 1
    private var lineStart = 0

    /// A reader over `text`.
    public init(_ text: String) {
        bytes = Array(text.utf8)
    }

    /// Reads every top-level form of `text`.
    public static func readAll(_ text: String) throws(EDNError) -> [EDN] {
        var reader = EDNReader(text)
        var forms: [EDN] = []
        while let form = try reader.next() { forms.append(form) }
        return forms
    }

    /// Reads exactly one form; anything else in `text` is an error.
    public static func readOne(_ text: String, what: String = "an EDN form") throws(EDNError) -> EDN {
        var reader = EDNReader(text)
        guard let form = try reader.next() else {
            throw EDNError("expected \(what), found end of input", at: reader.position)
        }
        reader.skipSpace()
        if reader.index < reader.bytes.count {
            throw EDNError("expected end of input after \(what)", at: reader.position)
        }
        return form
    }

    /// The next top-level form, or nil at the end of the text.
    public mutating func next() throws(EDNError) -> EDN? {
        while true {
            skipSpace()
            guard index < bytes.count else { return nil }
            if let form = try readForm(closing: nil) { return form }
        }
    }

    var position: SourcePosition {
        mutating get { SourcePosition(line: line, column: column(of: index)) }
    }

    /// The last column found, and its offset: the next count starts there
    /// when it is on the same line, so that a long line (a whole file of
    /// data on one line) is counted once, not once per form.
    private var counted = (offset: 0, column: 1)

    private mutating func column(of offset: Int) -> Int {
        // Columns count characters, not bytes: skip UTF-8 continuation bytes.
        var (i, col) = counted.offset >= lineStart && counted.offset <= offset ? counted : (lineStart, 1)
        while i < offset {
            if bytes[i] & 0xC0 != 0x80 { col += 1 }
            i += 1
        }
        counted = (offset, col)
        return col
    }

    private mutating func skipSpace() {
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\n") {
                index += 1
                line += 1
                lineStart = index
            } else if b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") || b == UInt8(ascii: "\r")
                        || b == UInt8(ascii: ",") {
                index += 1
            } else if b == UInt8(ascii: ";") {
                while index < bytes.count, bytes[index] != UInt8(ascii: "\n") { index += 1 }
            } else {
                return
            }
        }
    }

    /// Reads one form; returns nil for a `#_` discard (the discarded form is
    /// consumed). `closing` is the delimiter of the enclosing collection.
    private mutating func readForm(closing: UInt8?) throws(EDNError) -> EDN? {
        let start = position
        let b = bytes[index]
        switch b {
        case UInt8(ascii: "("): return EDN(.list(try readSequence(until: UInt8(ascii: ")"))), at: start)
        case UInt8(ascii: "["): return EDN(.vector(try readSequence(until: UInt8(ascii: "]"))), at: start)
        case UInt8(ascii: "{"):
            let items = try readSequence(until: UInt8(ascii: "}"))
            if items.count % 2 != 0 { throw EDNError("map needs an even number of forms", at: start) }
            return EDN(.map(items), at: start)
        case UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: "}"):
            if let closing {
                throw EDNError("expected \(Character(UnicodeScalar(closing))), found \(Character(UnicodeScalar(b)))",
                               at: start)
            }
            throw EDNError("unexpected \(Character(UnicodeScalar(b)))", at: start)
        case UInt8(ascii: "\""): return EDN(.string(try readString()), at: start)
        case UInt8(ascii: "\\"): return EDN(.char(try readChar()), at: start)
        case UInt8(ascii: "#"): return try readDispatch(start: start)
        default: return try readAtom(start: start)
        }
    }

    private mutating func readSequence(until close: UInt8) throws(EDNError) -> [EDN] {
        let open = position
        try enter(at: open)
        defer { depth -= 1 }
        index += 1
        var items: [EDN] = []
        while true {
            skipSpace()
            guard index < bytes.count else {
                throw EDNError("expected \(Character(UnicodeScalar(close))) to close the form opened at \(open), found end of input",
                               at: position)
            }
            if bytes[index] == close {
                index += 1
                return items
            }
            if let form = try readForm(closing: close) { items.append(form) }
        }
    }

    /// One level deeper, or an error past ``EDN/maxDepth``.
    private mutating func enter(at start: SourcePosition) throws(EDNError) {
        guard depth < EDN.maxDepth else {
            throw EDNError("forms nest deeper than \(EDN.maxDepth) levels", at: start)
        }
        depth += 1
    }

    private mutating func readString() throws(EDNError) -> String {
        let start = position
        index += 1
        var out: [UInt8] = []
        while true {
            guard index < bytes.count else { throw EDNError("unterminated string", at: start) }
            let b = bytes[index]
            index += 1
            switch b {
            case UInt8(ascii: "\""):
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard index < bytes.count else { throw EDNError("unterminated string", at: start) }
                let e = bytes[index]
                index += 1
                switch e {
                case UInt8(ascii: "n"): out.append(10)
                case UInt8(ascii: "t"): out.append(9)
                case UInt8(ascii: "r"): out.append(13)
                case UInt8(ascii: "b"): out.append(8)
                case UInt8(ascii: "f"): out.append(12)
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "u"):
                    guard index + 4 <= bytes.count,
                          let code = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16),
                          let scalar = UnicodeScalar(code)
                    else { throw EDNError("expected four hex digits after \\u", at: position) }
                    index += 4
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                default:
                    throw EDNError("unknown string escape \\\(Character(UnicodeScalar(e)))", at: position)
                }
            case UInt8(ascii: "\n"):
                out.append(b)
                line += 1
                lineStart = index
            default:
                out.append(b)
            }
        }
    }

    private mutating func readChar() throws(EDNError) -> Character {
        let start = position
        index += 1
        let token = readToken()
        switch token {
        case "newline": return "\n"
        case "space": return " "
        case "tab": return "\t"
        case "return": return "\r"
        case "formfeed": return "\u{0C}"
        case "backspace": return "\u{08}"
        default:
            if token.count == 1, let c = token.first { return c }
            if token.hasPrefix("u"), token.count == 5, let code = UInt32(token.dropFirst(), radix: 16),
               let scalar = UnicodeScalar(code) {
                return Character(scalar)
            }
            if token.isEmpty, index < bytes.count {
                // A delimiter character such as \( or \space-less \, .
                let c = Character(UnicodeScalar(bytes[index]))
                index += 1
                return c
            }
            throw EDNError("unknown character literal \\\(token)", at: start)
        }
    }

    private mutating func readDispatch(start: SourcePosition) throws(EDNError) -> EDN? {
        index += 1
        guard index < bytes.count else { throw EDNError("expected a form after #", at: start) }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            return EDN(.set(try readSequence(until: UInt8(ascii: "}"))), at: start)
        case UInt8(ascii: "#"):
            // Clojure's symbolic values, which the writer uses for doubles that are not finite.
            index += 1
            switch readToken() {
            case "Inf": return EDN(.double(.infinity), at: start)
            case "-Inf": return EDN(.double(-.infinity), at: start)
            case "NaN": return EDN(.double(.nan), at: start)
            case let other: throw EDNError("unknown symbolic value ##\(other) (expected ##Inf, ##-Inf or ##NaN)", at: start)
            }
        case UInt8(ascii: "_"):
            index += 1
            try enter(at: start)
            defer { depth -= 1 }
            skipSpace()
            guard index < bytes.count else { throw EDNError("expected a form after #_", at: position) }
            _ = try readForm(closing: nil)
            return nil
        default:
            let tag = readToken()
            guard !tag.isEmpty else { throw EDNError("expected a tag after #", at: start) }
            try enter(at: start)
            defer { depth -= 1 }
            skipSpace()
            guard index < bytes.count, let value = try readTagged() else {
                throw EDNError("expected a form after #\(tag)", at: position)
            }
            return try tagged(tag, value, at: start)
        }
    }

    private mutating func readTagged() throws(EDNError) -> EDN? {
        while index < bytes.count {
            if let form = try readForm(closing: nil) { return form }
            skipSpace()
        }
        return nil
    }

    private func tagged(_ tag: String, _ value: EDN, at start: SourcePosition) throws(EDNError) -> EDN {
        switch tag {
        case "inst":
            guard case .string(let text) = value.form else {
                throw EDNError("expected a string after #inst", at: value.position)
            }
            guard let instant = Instant(iso8601: text) else {
                throw EDNError("expected an RFC 3339 timestamp after #inst, found \"\(text)\"", at: value.position)
            }
            return EDN(.instant(instant), at: start)
        case "uuid":
            guard case .string(let text) = value.form, let uuid = UUID(uuidString: text) else {
                throw EDNError("expected a UUID string after #uuid", at: value.position)
            }
            return EDN(.uuid(uuid), at: start)
        default:
            return EDN(.tagged(tag, value), at: start)
        }
    }

    private static func isDelimiter(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: ","),
             UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "{"),
             UInt8(ascii: "}"), UInt8(ascii: "\""), UInt8(ascii: ";"):
            true
        default: false
        }
    }

    private mutating func readToken() -> String {
        let from = index
        while index < bytes.count, !Self.isDelimiter(bytes[index]) { index += 1 }
        return String(decoding: bytes[from..<index], as: UTF8.self)
    }

    private mutating func readAtom(start: SourcePosition) throws(EDNError) -> EDN {
        let token = readToken()
        guard let first = token.utf8.first else {
            throw EDNError("unexpected \(Character(UnicodeScalar(bytes[index])))", at: start)
        }
        switch token {
        case "nil": return EDN(.nil, at: start)
        case "true": return EDN(.bool(true), at: start)
        case "false": return EDN(.bool(false), at: start)
        default: break
        }
        if first == UInt8(ascii: ":") {
            // On bytes: a combining mark after the colon joins it into one Character.
            let name = token.utf8.dropFirst()
            guard let next = name.first else { throw EDNError("expected a keyword name after :", at: start) }
            // `::name` is Clojure's namespace-resolved keyword, which EDN has not.
            guard next != UInt8(ascii: ":") else {
                throw EDNError("a keyword cannot start with :: (found \(token))", at: start)
            }
            return EDN(.keyword(Keyword(String(decoding: name, as: UTF8.self))), at: start)
        }
        let u = Array(token.utf8)
        if Self.isDigit(first) || ((first == UInt8(ascii: "-") || first == UInt8(ascii: "+")) && u.count > 1 && Self.isDigit(u[1])) {
            return EDN(try number(token, u, at: start), at: start)
        }
        return EDN(.symbol(token), at: start)
    }

    private static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    /// A number token, `utf8` its bytes. Checked on the bytes: a data file
    /// is mostly numbers, and string searches through Foundation cost more
    /// than the parse.
    private func number(_ token: String, _ utf8: [UInt8], at start: SourcePosition) throws(EDNError) -> EDN.Form {
        var text = Substring(token)
        var bytes = utf8[...]
        if bytes.last == UInt8(ascii: "N") {
            guard let v = Int64(text.dropLast()) else {
                throw EDNError("integer \(token) is out of the 64-bit range", at: start)
            }
            return .int(v)
        }
        if bytes.last == UInt8(ascii: "M") {
            text = text.dropLast()
            bytes = bytes.dropLast()
        }
        if let v = Int64(text) { return .int(v) }
        if bytes.allSatisfy({ Self.isDigit($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "+") }) {
            throw EDNError("integer \(token) is out of the 64-bit range", at: start)
        }
        // Swift's parser also reads "nan", "inf" and hexadecimal floats, which EDN has not.
        let foreign = bytes.contains { $0 | 0x20 == UInt8(ascii: "n") || $0 | 0x20 == UInt8(ascii: "x") }
        if !foreign, let v = Double(text) { return .double(v) }
        throw EDNError("malformed number \(token)", at: start)
    }
}
