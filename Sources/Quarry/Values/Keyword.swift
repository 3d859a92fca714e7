/// An EDN keyword such as `:person/name`, held without its leading colon.
public struct Keyword: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The text after the colon: `person/name`.
    public let text: String

    /// The keyword `:text` (`text` without the colon).
    public init(_ text: String) {
        self.text = text.hasPrefix(":") ? String(text.dropFirst()) : text
    }

    /// The part before the slash, if any: `person`.
    public var namespace: String? {
        guard let slash = text.firstIndex(of: "/"), slash != text.startIndex else { return nil }
        return String(text[..<slash])
    }

    /// The part after the slash, or the whole text: `name`.
    public var name: String {
        guard let slash = text.firstIndex(of: "/"), slash != text.startIndex else { return text }
        return String(text[text.index(after: slash)...])
    }

    /// Whether the name starts with `_`: a reverse attribute reference
    /// such as `:person/_friend`. Checked on the bytes, without the copy
    /// `name` makes: every key of every entity map asks.
    var isReverse: Bool {
        let u = text.utf8
        guard let slash = u.firstIndex(of: UInt8(ascii: "/")), slash != u.startIndex else {
            return u.first == UInt8(ascii: "_")
        }
        let next = u.index(after: slash)
        return next != u.endIndex && u[next] == UInt8(ascii: "_")
    }

    /// For a reverse reference `:ns/_name`, the attribute it reverses,
    /// `:ns/name`; any other keyword as it is.
    var forward: Keyword {
        guard isReverse else { return self }
        return Keyword((namespace.map { $0 + "/" } ?? "") + name.dropFirst())
    }

    public var description: String { ":" + text }

    public static func < (lhs: Keyword, rhs: Keyword) -> Bool { lhs.text < rhs.text }
}
