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

extension TransactionError {
    /// A store found `v` of unique attribute `a` held by two entities
    /// after a write: the write is refused.
    @_spi(Stores) public static func uniqueConflict(_ a: Keyword, _ v: Value, _ first: Int64, _ second: Int64)
        -> TransactionError
    {
        TransactionError("unique conflict: \(a) \(EDNWriter.write(v)) is asserted for entities \(first) and \(second)",
                         at: .unknown)
    }
}
