/// The rows of one query run, pulled one at a time: the engine produces
/// them batch by batch as they are asked for.
///
/// ```swift
/// let cursor = try db.cursor(query, ["Ann"])
/// while let row = try cursor.next() {
///     if done(row) { break }   // the rest is never computed
/// }
/// ```
///
/// Stopping early costs nothing more: ``close()``, or dropping the
/// cursor, releases the run's engine memory at once. A cursor belongs to
/// one thread at a time (it is not `Sendable`); for `for try await`, use
/// ``QueryRows``. Cancelling the task that pulls, or passing
/// ``QueryOptions/deadline``, makes the next pull throw a ``QuarryError``
/// of kind ``QuarryError/Kind/cancelled`` or ``QuarryError/Kind/deadline``.
///
/// A scalar or tuple find gives at most one row. Rows arrive in the order
/// the engine produces them, which is `:order-by`'s when the query has one.
public final class QueryCursor {
    /// The names of the columns: `?x`, `(count ?x)`, or the `:keys` names.
    public let columns: [String]
    private var execution: QueryExecution?
    private var batch: RowBuffer?
    private var index = 0
    private let onlyFirstRow: Bool
    private var rowsReturned = 0
    private var finalStats: QueryStats?
    private let text: String?
    private let position: SourcePosition?
    private let pulls: PullColumns?

    init(execution: QueryExecution, prepared: PreparedQuery) {
        self.execution = execution
        pulls = PullColumns(execution.run.query, sources: execution.context.sources)
        text = prepared.text
        position = prepared.observedPosition
        columns = execution.run.query.columnNames
        onlyFirstRow = execution.run.query.keepsFirstRowOnly
    }

    deinit {
        finish(nil)
    }

    /// The next row, or nil once there are no more (then always nil).
    public func next() throws(QuarryError) -> Row? {
        guard let execution else { return nil }
        if onlyFirstRow && rowsReturned == 1 {
            finish(nil)
            return nil
        }
        while index >= (batch?.count ?? 0) {
            do {
                batch = try execution.next()
            } catch {
                let e = QuarryError(error)
                finish(e)
                throw e
            }
            index = 0
            if batch == nil {
                finish(nil)
                return nil
            }
        }
        let rows = batch!
        let space = execution.context.space
        var values = space.decode(row: index, of: rows)
        if let pulls {
            do {
                values = try QueryInterrupt.$current.withValue(execution.interrupt) { try pulls.apply(values) }
            } catch {
                let e = QuarryError(error)
                finish(e)
                throw e
            }
        }
        index += 1
        rowsReturned += 1
        return Row(columns: columns, values: values)
    }

    /// Stops the run: its engine memory is released now, and ``next()``
    /// returns nil from here on.
    public func close() {
        finish(nil)
    }

    /// Engine bytes the run holds now: the state of its operators (hash
    /// tables, sets, the batch in hand). Zero once the cursor is done.
    public var engineBytesHeld: UInt64 {
        execution?.context.account?.figures.bytesNow ?? 0
    }

    /// The run's memory account while it runs (tests: its release).
    var account: MemoryAccount? { execution?.context.account }

    /// Figures of the run so far; final once the cursor is done.
    public var stats: QueryStats {
        if let finalStats { return finalStats }
        guard let execution else { return QueryStats.empty }
        return execution.run.stats(of: execution)
    }

    /// Books the run and lets go of its memory.
    private func finish(_ error: QuarryError?) {
        guard let execution else { return }
        let run = execution.run
        let stats = run.stats(of: execution)
        finalStats = stats
        let outcome: Result<QueryObservation.Outcome, any Error> = error.map { .failure($0) }
            ?? .success(.init(rows: rowsReturned, engineBytesPeak: stats.engineBytesPeak))
        run.options.observation.record(outcome, took: ContinuousClock.now - run.start, text: text, position: position)
        batch = nil
        self.execution = nil
    }
}

extension QueryStats {
    static let empty = QueryStats(wallMilliseconds: 0, engineBytesPeak: 0, engineBytesNow: 0, allocations: 0,
                                  subqueryRuns: 0, rowsDeduplicated: 0, operatorRows: [])
}
