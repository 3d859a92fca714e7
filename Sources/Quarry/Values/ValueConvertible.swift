import Foundation

/// A Swift type that can be given to a query as a ``Value``: an input of
/// ``QueryInput``, or an element of one.
///
/// Quarry conforms the integer types, `Double`, `Float`, `Bool`,
/// `String`, `UUID`, `Date`, ``Keyword``, ``Instant``, ``Value`` itself,
/// and arrays of any of them (an array becomes a tuple, which binds a
/// collection `[?x ...]`, a tuple `[?a ?b]` or, as an array of arrays, a
/// relation `[[?a ?b]]`).
public protocol ValueConvertible: Sendable {
    /// The value; throws when it has none (a `UInt64` above `Int64.max`,
    /// a `Date` outside the range of ``Instant``).
    func queryValue() throws(QuarryError) -> Value
}

extension Value: ValueConvertible {
    public func queryValue() -> Value { self }
}

extension Int: ValueConvertible {
    public func queryValue() -> Value { .int(Int64(self)) }
}

extension Int64: ValueConvertible {
    public func queryValue() -> Value { .int(self) }
}

extension Int32: ValueConvertible {
    public func queryValue() -> Value { .int(Int64(self)) }
}

extension Int16: ValueConvertible {
    public func queryValue() -> Value { .int(Int64(self)) }
}

extension Int8: ValueConvertible {
    public func queryValue() -> Value { .int(Int64(self)) }
}

extension UInt32: ValueConvertible {
    public func queryValue() -> Value { .int(Int64(self)) }
}

extension UInt16: ValueConvertible {
    public func queryValue() -> Value { .int(Int64(self)) }
}

extension UInt8: ValueConvertible {
    public func queryValue() -> Value { .int(Int64(self)) }
}

extension UInt64: ValueConvertible {
    public func queryValue() throws(QuarryError) -> Value {
        guard let v = Int64(exactly: self) else { throw QuarryError(.input, "\(self) is above the largest integer a query holds") }
        return .int(v)
    }
}

extension UInt: ValueConvertible {
    public func queryValue() throws(QuarryError) -> Value { try UInt64(self).queryValue() }
}

extension Double: ValueConvertible {
    public func queryValue() -> Value { .double(self) }
}

extension Float: ValueConvertible {
    public func queryValue() -> Value { .double(Double(self)) }
}

extension Bool: ValueConvertible {
    public func queryValue() -> Value { .bool(self) }
}

extension String: ValueConvertible {
    public func queryValue() -> Value { .string(self) }
}

extension Substring: ValueConvertible {
    public func queryValue() -> Value { .string(String(self)) }
}

extension UUID: ValueConvertible {
    public func queryValue() -> Value { .uuid(self) }
}

extension Keyword: ValueConvertible {
    public func queryValue() -> Value { .keyword(self) }
}

extension Instant: ValueConvertible {
    public func queryValue() -> Value { .instant(self) }
}

extension Date: ValueConvertible {
    public func queryValue() throws(QuarryError) -> Value {
        guard let instant = Instant(self) else { throw QuarryError(.input, "\(self) is outside the range of an instant") }
        return .instant(instant)
    }
}

extension Array: ValueConvertible where Element: ValueConvertible {
    public func queryValue() throws(QuarryError) -> Value {
        var values: [Value] = []
        values.reserveCapacity(count)
        for element in self { values.append(try element.queryValue()) }
        return .tuple(values)
    }
}
