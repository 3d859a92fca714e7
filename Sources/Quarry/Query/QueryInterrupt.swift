/// What stops a running query from outside: cancellation of the task it
/// runs in, and its deadline.
///
/// A run binds one as ``current`` while it executes; every operator checks
/// it on its first batch and every ``Operator/interruptStride`` batches
/// after (``Operator/next()``), and rule fixpoints before each round, so a
/// query stops within a few milliseconds of work.
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
