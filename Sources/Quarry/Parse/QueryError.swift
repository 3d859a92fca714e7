/// A query Quarry cannot run: malformed, asking for something unknown, or
/// stopped. The message names what was expected and, when known, the line
/// and column.
public struct QueryError: PositionedError, Sendable, Equatable {
    public let message: String
    public let position: SourcePosition
    /// The budget in bytes, when the query stopped because its engine memory
    /// passed `QueryOptions.memoryLimitBytes`; nil for every other error.
    public let exceededBudgetBytes: UInt64?
    /// Why the query was stopped from outside, or nil when it failed on its own.
    public let stop: Stop?
    /// Whether the error is about the inputs given rather than the query's
    /// text (``QuarryError/Kind/input``).
    var concernsInputs = false

    /// What stopped a running query.
    public enum Stop: Sendable, Equatable {
        /// The task running it was cancelled.
        case cancelled
        /// It passed ``QueryOptions/deadline``.
        case deadline
    }

    /// An error; `exceededBudgetBytes` and `stop` say why a run stopped, when it did.
    public init(_ message: String, at position: SourcePosition = .unknown, exceededBudgetBytes: UInt64? = nil,
                stop: Stop? = nil) {
        self.message = message
        self.position = position
        self.exceededBudgetBytes = exceededBudgetBytes
        self.stop = stop
    }

    /// An error about the inputs given for the query's `:in`.
    static func input(_ message: String, at position: SourcePosition = .unknown) -> QueryError {
        var e = QueryError(message, at: position)
        e.concernsInputs = true
        return e
    }

    static let cancelled = QueryError("the query was cancelled", stop: .cancelled)
    static let deadlinePassed = QueryError("the query was stopped at its deadline", stop: .deadline)
}
