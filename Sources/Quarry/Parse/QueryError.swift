/// A query Quarry cannot run: malformed, or asking for something unknown.
/// The message names what was expected and, when known, the line and column.
public struct QueryError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public let position: SourcePosition

    public init(_ message: String, at position: SourcePosition = .unknown) {
        self.message = message
        self.position = position
    }

    public var description: String {
        position == .unknown ? message : "\(message) at \(position)"
    }
}
