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

    /// Whether the name is `_` followed by an attribute's name: a reverse
    /// attribute reference such as `:person/_friend`. Checked on the
    /// bytes, without the copy `name` makes: every key of every entity map
    /// asks. `:_`, `:ns/_` and `:_:x` reverse nothing (no name follows, or
    /// one no keyword can have): they are attributes of their own, as in
    /// `[:db/add ...]`, instead of reversing `:`, `:ns/` or a text that
    /// reads back as another keyword.
    var isReverse: Bool {
        let u = text.utf8
        var start = u.startIndex
        if let slash = u.firstIndex(of: UInt8(ascii: "/")), slash != u.startIndex { start = u.index(after: slash) }
        guard start != u.endIndex, u[start] == UInt8(ascii: "_") else { return false }
        let rest = u.index(after: start)
        return rest != u.endIndex && u[rest] != UInt8(ascii: ":")
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
