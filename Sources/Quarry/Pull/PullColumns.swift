/// The find columns a query pulls: the query runs with each entity id in
/// its column, and the rows leaving it get the pulled maps instead.
struct PullColumns {
    private let columns: [(index: Int, puller: Puller, pattern: PullPattern)]

    /// Nil when the query pulls nothing.
    init?(_ query: Query, sources: [String: Database]) {
        var columns: [(index: Int, puller: Puller, pattern: PullPattern)] = []
        for (i, element) in query.find.elements.enumerated() {
            guard case .pull(let source, _, let pattern, _, _) = element, let db = sources[source] else { continue }
            columns.append((i, Puller(db), pattern))
        }
        guard !columns.isEmpty else { return nil }
        self.columns = columns
    }

    /// `row` with its pulled columns replaced by their maps.
    func apply(_ row: [Value]) throws -> [Value] {
        var row = row
        for c in columns where c.index < row.count {
            var puller = c.puller
            guard let e = try puller.entity(row[c.index]) else {
                row[c.index] = .map([:])
                continue
            }
            row[c.index] = .map(try puller.pull(c.pattern, e))
        }
        return row
    }
}
