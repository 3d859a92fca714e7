/// `:order-by` and `:limit` over the find rows: a stable sort by the given
/// columns in the engine's total value order, then the first rows.
final class OrderLimit: Operator {
    private let orderBy: [(column: Int, descending: Bool)]
    private let limit: Int?
    private let space: ValueSpace
    private let account: MemoryAccount?
    private var done = false

    init(input: Operator, orderBy: [(column: Int, descending: Bool)], limit: Int?, space: ValueSpace,
         account: MemoryAccount?) {
        self.orderBy = orderBy
        self.limit = limit
        self.space = space
        self.account = account
        super.init(columns: input.columns, inputs: [input],
                   estimatedRows: min(input.estimatedRows, Double(limit ?? Int.max)))
    }

    override var detail: String {
        let keys = orderBy.map { columns[$0.column] + ($0.descending ? " desc" : " asc") }
        return (keys.isEmpty ? "" : "order by " + keys.joined(separator: ", ")) + (limit.map { " limit \($0)" } ?? "")
    }

    override func rewind() { done = false }

    override func produce() throws -> RowBuffer? {
        guard !done else { return nil }
        done = true
        let rows = try inputs[0].drain(account: account)
        var order = Array(0..<rows.count)
        if !orderBy.isEmpty {
            let keys = orderBy
            order.sort { x, y in
                for (column, descending) in keys {
                    let c = ValueOrder.sortCompare(rows.value(x, column), rows.value(y, column), in: space)
                    if c != 0 { return descending ? c > 0 : c < 0 }
                }
                return x < y
            }
        }
        let out = try RowBuffer(arity: rows.arity, account: account)
        for r in order.prefix(limit ?? order.count) { try out.append(copyOf: r, from: rows) }
        return out
    }
}
