import TextTable

/// A table of text cells for people to read, rendered by TextTable.
public struct Table {
    public var headers: [String]
    public var rows: [[String]] = []
    /// Columns aligned right (numbers); the rest align left.
    public var rightAligned: Set<Int>

    public init(headers: [String], rightAligned: Set<Int> = []) {
        self.headers = headers
        self.rightAligned = rightAligned
    }

    public mutating func append(_ row: [String]) {
        precondition(row.count == headers.count, "a row needs \(headers.count) cells")
        rows.append(row)
    }

    public func render() -> String {
        let headers = self.headers, right = self.rightAligned
        let table = TextTable<[String]> { row in
            headers.indices.map { Column(title: headers[$0], value: row[$0], align: right.contains($0) ? .right : .left) }
        }
        return table.string(for: rows, style: Style.psql) ?? ""
    }
}
