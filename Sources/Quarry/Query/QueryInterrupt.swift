/// What stops a running query from outside: cancellation of the task it
/// runs in, and its deadline.
///
/// A run binds one as ``current`` while it executes; every operator checks
/// it before each batch it produces (``Operator/next()``), rule fixpoints
/// before each round and subqueries before each run, so a query stops
/// within one batch of work. Reading a task-local costs a few nanoseconds,
/// and a batch is a thousand rows.
final class QueryInterrupt: Sendable {
    let deadline: ContinuousClock.Instant?

    @TaskLocal static var current: QueryInterrupt?

    init(deadline: ContinuousClock.Instant?) {
        self.deadline = deadline
    }

    /// Throws when the task is cancelled or the deadline has passed.
    func check() throws(QueryError) {
        if Task.isCancelled { throw QueryError.cancelled }
        if let deadline, ContinuousClock.now >= deadline { throw QueryError.deadlinePassed }
    }

    /// ``check()`` of the run in progress, if any.
    static func check() throws(QueryError) {
        try current?.check()
    }
}
