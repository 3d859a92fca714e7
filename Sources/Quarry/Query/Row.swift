/// One row of a query's result: its values, in the order of the find
/// columns, and the columns' names.
///
/// ```swift
/// row[0]                                  // a Value
/// row["?name"]                            // by column name, nil if none
/// let (name, age) = try row.decode(String.self, Int.self)
/// let person = try row.decode(Person.self) // a Decodable, by column names
/// ```
public struct Row: Sendable, Hashable, RandomAccessCollection, CustomStringConvertible {
    /// The names of the columns: `?x`, `(count ?x)`, or the `:keys` names.
    public let columns: [String]
    /// The values, one per column.
    public let values: [Value]

    /// A row of `values` under `columns` (the two of equal length).
    public init(columns: [String], values: [Value]) {
        self.columns = columns
        self.values = values
    }

    public var startIndex: Int { values.startIndex }
    public var endIndex: Int { values.endIndex }
    public subscript(position: Int) -> Value { values[position] }

    /// The value of the column named `column` (`?name`, or `name` for a
    /// variable `?name` or a `:keys` name); nil when there is no such column.
    public subscript(column: String) -> Value? {
        RowDecoding.columnIndex(column, in: columns).map { values[$0] }
    }

    /// The row as a Swift type: a `Decodable` struct or class reads
    /// columns by name (its property `name` reads the column `?name`, or
    /// the `:keys` name `name`; an optional property may have no column),
    /// an array or other unkeyed type reads the values in order, and a
    /// single value (`String`, `Int`, `Date`, ``Keyword``, ``Value``...)
    /// reads a row of one column.
    ///
    /// A value that does not fit its property (a string for an `Int`, an
    /// integer past `Int8`) throws a ``QuarryError`` of kind
    /// ``QuarryError/Kind/decoding`` naming the column.
    public func decode<T: Decodable>(_ type: T.Type = T.self) throws(QuarryError) -> T {
        try RowDecoding.decode(type, row: self)
    }

    /// The row as a tuple, one type per column: `try row.decode(String.self, Int.self)`.
    /// The number of types must be the number of columns.
    public func decode<each T: Decodable>(_ types: repeat (each T).Type) throws(QuarryError) -> (repeat each T) {
        var count = 0
        for _ in repeat each types { count += 1 }
        guard count == values.count else {
            throw QuarryError(.decoding, "cannot decode a row of \(values.count) column\(values.count == 1 ? "" : "s") into a tuple of \(count)")
        }
        var column = 0
        func one<U: Decodable>(_ type: U.Type) throws -> U {
            defer { column += 1 }
            return try RowDecoding.decode(type, value: values[column], column: columns[column])
        }
        do {
            return (repeat try one(each types))
        } catch {
            throw QuarryError(error)
        }
    }

    /// The values as EDN, as `quarry query --format edn` prints a row.
    public var description: String {
        "[" + values.map { EDNWriter.write($0) }.joined(separator: " ") + "]"
    }
}
