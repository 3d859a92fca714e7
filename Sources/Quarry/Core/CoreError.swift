import QuarryCore

/// An error reported by Quarry's C core.
public struct CoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, one case per `qc_status` of the core.
    public enum Kind: Int32, Sendable {
        /// The allocator had no memory to give.
        case outOfMemory = 1
        /// Rows of an arity the core does not support.
        case unsupportedArity = 2
        /// A table or arena passed its largest size.
        case capacityExceeded = 3
        /// A memory account's budget would have been passed.
        case budgetExceeded = 4
        /// The jemalloc backend was asked for but is not built in.
        case backendUnavailable = 5
        /// An index or a row width out of range.
        case outOfRange = 6
        /// A status this Swift layer does not know.
        case unknown = -1
    }

    /// What went wrong.
    public let kind: Kind
    /// What the caller was doing, e.g. "dedup insert".
    public let operation: String

    @usableFromInline init(status: qc_status, operation: String) {
        self.kind = Kind(rawValue: Int32(status.rawValue)) ?? .unknown
        self.operation = operation
    }

    public var description: String {
        let message = String(cString: qc_status_message(qc_status(UInt32(bitPattern: kind.rawValue))))
        return "\(operation): \(message)"
    }

    /// Throws when `status` is not `QC_OK`.
    static func check(_ status: qc_status, _ operation: @autoclosure () -> String) throws(CoreError) {
        if status != QC_OK { throw CoreError(status: status, operation: operation()) }
    }
}
