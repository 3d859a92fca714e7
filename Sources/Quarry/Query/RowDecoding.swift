import Foundation

/// Decodes query rows into `Decodable` Swift types (``Row``'s `decode(_:)`):
/// a `Decoder` over a row (keyed by column name, or unkeyed in column
/// order) and over one value (a single value, or unkeyed over a tuple).
enum RowDecoding {
    /// The index of the column `name`: the name itself, or `?name` for a variable.
    static func columnIndex(_ name: String, in columns: [String]) -> Int? {
        columns.firstIndex(of: name) ?? columns.firstIndex(of: "?" + name)
    }

    static func decode<T: Decodable>(_ type: T.Type, row: Row) throws(QuarryError) -> T {
        do {
            if row.values.count == 1, let one = try direct(type, value: row.values[0], column: row.columns[0]) {
                return one
            }
            return try T(from: RowDecoder(row: row, codingPath: []))
        } catch {
            throw quarryError(error)
        }
    }

    /// `value`, of the column `column`, as a `T`.
    static func decode<T: Decodable>(_ type: T.Type, value: Value, column: String,
                                     codingPath: [any CodingKey] = []) throws -> T {
        if let direct = try direct(type, value: value, column: column) { return direct }
        return try T(from: ValueDecoder(value: value, column: column, codingPath: codingPath))
    }

    /// Types read from a value as they are, not through their own `init(from:)`
    /// (Foundation decodes a `UUID` from a string and a `Date` from a number).
    private static func direct<T>(_ type: T.Type, value: Value, column: String) throws -> T? {
        switch type {
        case is Value.Type: return value as? T
        case is UUID.Type:
            guard case .uuid(let u) = value else { throw mismatch(type, value, column) }
            return u as? T
        case is Date.Type:
            guard case .instant(let i) = value else { throw mismatch(type, value, column) }
            return i.date as? T
        case is Instant.Type:
            guard case .instant(let i) = value else { throw mismatch(type, value, column) }
            return i as? T
        case is Keyword.Type:
            guard case .keyword(let k) = value else { throw mismatch(type, value, column) }
            return k as? T
        default: return nil
        }
    }

    static func primitive<T>(_ type: T.Type, _ value: Value, column: String) throws -> T {
        let out: Any? = switch (type, value) {
        case (is Bool.Type, .bool(let b)): b
        case (is String.Type, .string(let s)): s
        case (is Double.Type, .double(let d)): d
        case (is Double.Type, .int(let i)): Double(exactly: i)
        case (is Float.Type, .double(let d)): Float(d)
        case (is Float.Type, .int(let i)): Float(exactly: i)
        case (let t as any FixedWidthInteger.Type, .int(let i)), (let t as any FixedWidthInteger.Type, .ref(let i)):
            t.init(exactly: i)
        default: nil
        }
        guard let typed = out as? T else { throw mismatch(type, value, column) }
        return typed
    }

    static func mismatch(_ type: Any.Type, _ value: Value, _ column: String) -> QuarryError {
        QuarryError(.decoding, "column \(column): cannot decode \(EDNWriter.write(value)) (\(value.tag)) as \(type)")
    }

    /// A decoding failure as a `QuarryError` of kind `decoding`, naming where.
    static func quarryError(_ error: any Error) -> QuarryError {
        switch error {
        case let e as QuarryError: return e
        case DecodingError.keyNotFound(let key, _):
            return QuarryError(.decoding, "no column \(key.stringValue) or ?\(key.stringValue) in the row"
                                   + " (name an aggregate's column with :keys)")
        case DecodingError.typeMismatch(let type, let context), DecodingError.valueNotFound(let type, let context):
            return QuarryError(.decoding, "cannot decode \(type) at \(path(context.codingPath)): \(context.debugDescription)")
        case DecodingError.dataCorrupted(let context):
            return QuarryError(.decoding, "\(path(context.codingPath)): \(context.debugDescription)")
        default:
            return QuarryError(.decoding, "\(error)")
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.isEmpty ? "the row" : keys.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }
}

/// The decoder of a whole row.
private struct RowDecoder: Decoder {
    let row: Row
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(ColumnsContainer<Key>(row: row, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        ValueReader(values: row.values, columns: row.columns, codingPath: codingPath, single: false)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        guard row.values.count == 1 else {
            throw QuarryError(.decoding, "cannot decode a row of \(row.values.count) columns as one value")
        }
        return ValueReader(values: row.values, columns: row.columns, codingPath: codingPath, single: true)
    }
}

/// The decoder of one value: a scalar, or a tuple read in order.
private struct ValueDecoder: Decoder {
    let value: Value
    let column: String
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        throw QuarryError(.decoding, "column \(column): cannot decode \(EDNWriter.write(value)) as a keyed type (a struct)")
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .tuple(let items) = value else {
            throw QuarryError(.decoding, "column \(column): cannot decode \(EDNWriter.write(value)) as a list (it is no tuple)")
        }
        return ValueReader(values: items, columns: Array(repeating: column, count: items.count), codingPath: codingPath,
                           single: false)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        ValueReader(values: [value], columns: [column], codingPath: codingPath, single: true)
    }
}

/// Values read in order (an unkeyed container) or one value (a single
/// value container): the two take the same calls.
private final class ValueReader: UnkeyedDecodingContainer, SingleValueDecodingContainer {
    let values: [Value]
    let columns: [String]
    let codingPath: [any CodingKey]
    private let single: Bool
    private(set) var currentIndex = 0

    init(values: [Value], columns: [String], codingPath: [any CodingKey], single: Bool) {
        self.values = values
        self.columns = columns
        self.codingPath = codingPath
        self.single = single
    }

    var count: Int? { values.count }
    var isAtEnd: Bool { currentIndex >= values.count }

    private func take() throws -> (Value, String) {
        guard currentIndex < values.count else {
            throw QuarryError(.decoding, "the row or tuple has only \(values.count) values")
        }
        defer { if !single { currentIndex += 1 } }
        return (values[currentIndex], columns[currentIndex])
    }

    private func prim<T>(_ type: T.Type) throws -> T {
        let (v, c) = try take()
        return try RowDecoding.primitive(type, v, column: c)
    }

    func decodeNil() -> Bool { false }
    func decode(_ type: Bool.Type) throws -> Bool { try prim(type) }
    func decode(_ type: String.Type) throws -> String { try prim(type) }
    func decode(_ type: Double.Type) throws -> Double { try prim(type) }
    func decode(_ type: Float.Type) throws -> Float { try prim(type) }
    func decode(_ type: Int.Type) throws -> Int { try prim(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try prim(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try prim(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try prim(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try prim(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try prim(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try prim(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try prim(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try prim(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try prim(type) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let (v, c) = try take()
        return try RowDecoding.decode(type, value: v, column: c, codingPath: codingPath)
    }

    func nestedContainer<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        let (v, c) = try take()
        return try ValueDecoder(value: v, column: c, codingPath: codingPath).container(keyedBy: type)
    }

    func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let (v, c) = try take()
        return try ValueDecoder(value: v, column: c, codingPath: codingPath).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        let (v, c) = try take()
        return ValueDecoder(value: v, column: c, codingPath: codingPath)
    }
}

/// A row's columns by name: the key `name` reads the column `name` or `?name`.
private struct ColumnsContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let row: Row
    let codingPath: [any CodingKey]

    var allKeys: [Key] {
        row.columns.compactMap { Key(stringValue: $0.hasPrefix("?") ? String($0.dropFirst()) : $0) }
    }

    func contains(_ key: Key) -> Bool { RowDecoding.columnIndex(key.stringValue, in: row.columns) != nil }

    private func column(_ key: Key) throws -> (Value, String) {
        guard let i = RowDecoding.columnIndex(key.stringValue, in: row.columns) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "no such column"))
        }
        return (row.values[i], row.columns[i])
    }

    private func prim<T>(_ type: T.Type, _ key: Key) throws -> T {
        let (v, c) = try column(key)
        return try RowDecoding.primitive(type, v, column: c)
    }

    func decodeNil(forKey key: Key) throws -> Bool { !contains(key) }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try prim(type, key) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try prim(type, key) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try prim(type, key) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try prim(type, key) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try prim(type, key) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try prim(type, key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try prim(type, key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try prim(type, key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try prim(type, key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try prim(type, key) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try prim(type, key) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try prim(type, key) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try prim(type, key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try prim(type, key) }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let (v, c) = try column(key)
        return try RowDecoding.decode(type, value: v, column: c, codingPath: codingPath + [key])
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type,
                                               forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        let (v, c) = try column(key)
        return try ValueDecoder(value: v, column: c, codingPath: codingPath + [key]).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        let (v, c) = try column(key)
        return try ValueDecoder(value: v, column: c, codingPath: codingPath + [key]).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { RowDecoder(row: row, codingPath: codingPath) }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        let (v, c) = try column(key)
        return ValueDecoder(value: v, column: c, codingPath: codingPath + [key])
    }
}

extension Value: Decodable {
    /// A `Value` decodes from a query row (``Row``'s `decode(_:)`) only; any
    /// other decoder throws.
    public init(from decoder: any Decoder) throws {
        throw DecodingError.typeMismatch(Value.self, .init(codingPath: decoder.codingPath,
                                                           debugDescription: "a Value decodes only from a query row"))
    }
}

extension Keyword: Decodable {
    /// From a query row, a keyword value; from other decoders, a string
    /// (with or without the leading colon).
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        self.init(text.hasPrefix(":") ? String(text.dropFirst()) : text)
    }
}

extension Instant: Decodable {
    /// From a query row, an instant value; from other decoders,
    /// milliseconds since the epoch.
    public init(from decoder: any Decoder) throws {
        self.init(millisecondsSinceEpoch: try decoder.singleValueContainer().decode(Int64.self))
    }
}
