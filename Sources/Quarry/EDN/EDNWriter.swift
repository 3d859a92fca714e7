/// Prints values and forms as EDN text.
public enum EDNWriter {
    /// A string literal with EDN escapes.
    public static func quote(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default: out.unicodeScalars.append(c)
            }
        }
        return out + "\""
    }

    /// A double as EDN reads it back: always with a decimal point or exponent.
    public static func double(_ d: Double) -> String {
        if d.isNaN { return "##NaN" }
        if d.isInfinite { return d < 0 ? "##-Inf" : "##Inf" }
        let s = "\(d)"
        return s.contains(".") || s.contains("e") ? s : s + ".0"
    }

    /// `value` as EDN text.
    public static func write(_ value: Value) -> String {
        switch value {
        case .int(let v), .ref(let v): String(v)
        case .double(let d): double(d)
        case .bool(let b): b ? "true" : "false"
        case .string(let s): quote(s)
        case .keyword(let k): k.description
        case .instant(let t): "#inst \"\(t)\""
        case .uuid(let u): "#uuid \"\(u.uuidString.lowercased())\""
        case .tuple(let items): "[" + items.map { write($0) }.joined(separator: " ") + "]"
        case .map: "{" + value.mapEntries.map { write($0.key) + " " + write($0.value) }.joined(separator: ", ") + "}"
        }
    }

    /// `edn` as EDN text.
    public static func write(_ edn: EDN) -> String {
        func join(_ items: [EDN]) -> String { items.map(write).joined(separator: " ") }
        switch edn.form {
        case .nil: return "nil"
        case .bool(let b): return b ? "true" : "false"
        case .int(let v): return String(v)
        case .double(let d): return double(d)
        case .string(let s): return quote(s)
        case .char(let c): return "\\\(c)"
        case .keyword(let k): return k.description
        case .symbol(let s): return s
        case .list(let items): return "(\(join(items)))"
        case .vector(let items): return "[\(join(items))]"
        case .map(let items): return "{\(join(items))}"
        case .set(let items): return "#{\(join(items))}"
        case .instant(let t): return "#inst \"\(t)\""
        case .uuid(let u): return "#uuid \"\(u.uuidString.lowercased())\""
        case .tagged(let tag, let inner): return "#\(tag) \(write(inner))"
        }
    }
}
