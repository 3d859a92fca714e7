/// A store file Quarry refuses or cannot use: not Quarry's, damaged, locked
/// by another writer, or opened read-only for a write. The message names
/// the file.
public struct StoreError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file.
    public let path: String
    /// What is wrong with it.
    public let message: String

    /// An error about the file at `path`.
    public init(_ message: String, path: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}
