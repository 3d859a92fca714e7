/// A query Quarry cannot run: malformed, or asking for something unknown.
/// The message names what was expected and, when known, the line and column.
public struct QueryError: PositionedError, Sendable, Equatable {
    public let message: String
    public let position: SourcePosition
    /// The budget in bytes, when the query stopped because its engine memory
    /// passed `QueryOptions.memoryLimitBytes`; nil for every other error.
    public let exceededBudgetBytes: UInt64?

    public init(_ message: String, at position: SourcePosition = .unknown, exceededBudgetBytes: UInt64? = nil) {
        self.message = message
        self.position = position
        self.exceededBudgetBytes = exceededBudgetBytes
    }
}
