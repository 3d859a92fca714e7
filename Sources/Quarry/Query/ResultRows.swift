/// The rows of a ``QueryResult``: every value in one array, row after row.
///
/// A collection of ``ResultRow``s, each a view of its row's values (reading
/// a row copies nothing), so a result of a million rows is one allocation,
/// not a million:
///
/// ```swift
/// let result = try db.query("[:find ?name ?age :where [?p :name ?name] [?p :age ?age]]")
/// for row in result.rows { print(row[0], row[1]) }
/// let first = result.rows.first.map(Array.init)   // [Value]
/// ```
///
/// An array literal of rows stands for a `ResultRows` where one is
/// expected (`result.rows == [[.int(1)], [.int(2)]]`); two are equal when
/// they hold equal rows in the same order.
public struct ResultRows: RandomAccessCollection, Sendable, Hashable, ExpressibleByArrayLiteral,
    CustomStringConvertible
{
    /// All values, row after row.
    public let values: [Value]
    /// Rows of one width: values per row. Rows of different widths (only
    /// from a literal or ``init(_:)``) keep where each row ends instead.
    private let width: Int
    private let ends: [Int]?
    /// The number of rows.
    public let count: Int

    /// Rows of `width` values each, `values` holding them back to back.
    init(width: Int, values: [Value], count: Int) {
        self.values = values
        self.width = width
        self.ends = nil
        self.count = count
    }

    /// The rows given, each as a sequence of values.
    public init<Rows: Sequence>(_ rows: Rows) where Rows.Element: Sequence, Rows.Element.Element == Value {
        var values: [Value] = []
        var ends: [Int] = []
        for row in rows {
            values.append(contentsOf: row)
            ends.append(values.count)
        }
        let width = ends.first ?? 0
        let uniform = ends.indices.allSatisfy { ends[$0] == width * ($0 + 1) }
        self.values = values
        self.width = width
        self.ends = uniform ? nil : ends
        self.count = ends.count
    }

    public init(arrayLiteral rows: [Value]...) {
        self.init(rows)
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(position: Int) -> ResultRow {
        precondition(position >= 0 && position < count, "row index out of range")
        guard let ends else { return ResultRow(values, position * width..<(position + 1) * width) }
        return ResultRow(values, (position == 0 ? 0 : ends[position - 1])..<ends[position])
    }

    /// The first `n` rows (all of them when there are fewer).
    func prefix(rows n: Int) -> ResultRows {
        guard n < count else { return self }
        guard ends == nil else { return ResultRows(self.prefix(n)) }
        return ResultRows(width: width, values: Array(values.prefix(n * width)), count: n)
    }

    public static func == (a: ResultRows, b: ResultRows) -> Bool {
        a.count == b.count && a.elementsEqual(b)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        for row in self { hasher.combine(row) }
    }

    public var description: String {
        "[" + map(\.description).joined(separator: ", ") + "]"
    }
}

/// One row of a ``ResultRows``: its values, in the order of the find
/// columns, read in place from the result's storage.
///
/// Indexed from 0 like an array (`row[0]`); `Array(row)` copies the values
/// out. An array literal stands for a row where one is expected
/// (`result.rows[0] == [.int(1), .string("a")]`).
public struct ResultRow: RandomAccessCollection, Sendable, Hashable, ExpressibleByArrayLiteral,
    CustomStringConvertible
{
    private let storage: [Value]
    private let range: Range<Int>

    init(_ storage: [Value], _ range: Range<Int>) {
        self.storage = storage
        self.range = range
    }

    public init(arrayLiteral values: Value...) {
        self.init(values, values.indices)
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { range.count }

    public subscript(position: Int) -> Value {
        precondition(position >= 0 && position < range.count, "column index out of range")
        return storage[range.lowerBound + position]
    }

    public static func == (a: ResultRow, b: ResultRow) -> Bool {
        a.range.count == b.range.count && a.elementsEqual(b)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(range.count)
        for value in self { hasher.combine(value) }
    }

    public var description: String {
        Array(self).description
    }
}
