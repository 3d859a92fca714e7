/// Transaction data Quarry cannot apply: what is wrong, and where.
public struct TransactionError: PositionedError, Sendable, Equatable {
    public let message: String
    public let position: SourcePosition

    /// An error with its message and position.
    public init(_ message: String, at position: SourcePosition) {
        self.message = message
        self.position = position
    }
}
