/// A query Quarry cannot run: malformed, or asking for something unknown.
/// The message names what was expected and, when known, the line and column.
public struct QueryError: PositionedError, Sendable, Equatable {
    public let message: String
    public let position: SourcePosition

    public init(_ message: String, at position: SourcePosition = .unknown) {
        self.message = message
        self.position = position
    }
}
