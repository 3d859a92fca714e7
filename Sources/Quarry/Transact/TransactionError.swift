/// Transaction data Quarry cannot apply: what is wrong, and where.
public struct TransactionError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public let position: SourcePosition

    public init(_ message: String, at position: SourcePosition) {
        self.message = message
        self.position = position
    }

    public var description: String {
        position == .unknown ? message : "\(message) at \(position)"
    }
}
