/// The rows of a query as an `AsyncSequence`: each iteration runs the
/// query afresh and pulls its rows batch by batch, as a ``QueryCursor``
/// does.
///
/// ```swift
/// for try await row in db.rows(query, [30]) {
///     let person = try row.decode(Person.self)
/// }
/// ```
///
/// Leaving the loop early releases the run's engine memory at once (the
/// iterator's cursor goes with it). Cancelling the task stops the run at
/// its next batch with a ``QuarryError`` of kind
/// ``QuarryError/Kind/cancelled``. The engine computes on the task that
/// iterates: a batch is at most a few milliseconds of work between two
/// suspension points.
public struct QueryRows: AsyncSequence, Sendable {
    public typealias Element = Row
    public typealias Failure = QuarryError

    let database: Database
    let query: PreparedQuery
    let inputs: [QueryInput]
    let options: QueryOptions

    public func makeAsyncIterator() -> Iterator {
        Iterator(rows: self)
    }

    /// Pulls the rows of one run.
    public struct Iterator: AsyncIteratorProtocol {
        let rows: QueryRows
        private var cursor: QueryCursor?
        private var started = false

        init(rows: QueryRows) {
            self.rows = rows
        }

        public mutating func next() async throws(QuarryError) -> Row? {
            try nextRow()
        }

        public mutating func next(isolation actor: isolated (any Actor)?) async throws(QuarryError) -> Row? {
            try nextRow()
        }

        private mutating func nextRow() throws(QuarryError) -> Row? {
            if !started {
                started = true
                cursor = try rows.database.cursor(rows.query, rows.inputs, options: rows.options)
            }
            guard let cursor else { return nil }
            if let row = try cursor.next() { return row }
            self.cursor = nil
            return nil
        }
    }
}
