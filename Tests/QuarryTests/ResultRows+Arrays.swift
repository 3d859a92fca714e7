import Quarry

/// Tests hold expected rows as `[Value]` arrays; these read a result's rows the same way.
extension Set where Element == [Value] {
    init(_ rows: ResultRows) { self.init(rows.map(Array.init)) }
}

extension ResultRows {
    /// The rows as arrays, in order.
    var arrays: [[Value]] { map(Array.init) }
}
