/// The one error the embedding API throws: what kind of failure it is, a
/// message a person can read, and the line and column of the query or
/// data it concerns when there is one.
///
/// ``PreparedQuery``, ``QueryCursor``, ``QueryRows``, ``Row`` decoding and
/// ``QueryInput`` throw only this type. The older entry points
/// (``Database/query(_:inputs:options:)-(String,_,_)`` and the store and
/// transaction APIs) throw their own types (``QueryError``, ``EDNError``,
/// ``TransactionError``, ``StoreError``, ``ScanError``);
/// ``init(_:)`` turns any of them into a `QuarryError`.
public struct QuarryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, broadly: what a caller branches on.
    public enum Kind: String, Sendable, CaseIterable {
        /// The text is not EDN (an unclosed bracket, a bad escape).
        case syntax
        /// The query or a rule is not one Quarry can run: an unknown
        /// clause or function, an unbound variable, a bad `:find`.
        case query
        /// The inputs do not fit the query's `:in`: too few or too many,
        /// or a value of the wrong shape for its binding.
        case input
        /// Transaction data Quarry cannot apply.
        case transaction
        /// The query's engine memory passed ``QueryOptions/memoryLimitBytes``.
        case budget
        /// The task running the query was cancelled.
        case cancelled
        /// The query passed ``QueryOptions/deadline``.
        case deadline
        /// A store or source failed: a damaged or foreign file, a locked
        /// database, a fetch that failed.
        case source
        /// A row did not decode into the Swift type asked for.
        case decoding
        /// The engine could not get memory from the allocator.
        case engine
    }

    /// What went wrong, broadly.
    public let kind: Kind
    /// What went wrong, in words.
    public let message: String
    /// Where in the query text (or the input, or the transaction data) the
    /// problem is; ``SourcePosition/unknown`` when it concerns no place.
    public let position: SourcePosition
    /// For a ``Kind/budget`` error, the budget in bytes.
    public let budgetBytes: UInt64?

    /// An error of `kind` with its message and, when known, its position.
    public init(_ kind: Kind, _ message: String, at position: SourcePosition = .unknown, budgetBytes: UInt64? = nil) {
        self.kind = kind
        self.message = message
        self.position = position
        self.budgetBytes = budgetBytes
    }

    /// Any error Quarry throws, as a `QuarryError`. A `QuarryError` is
    /// returned as it is; an error from outside Quarry (a ``DatomSource``
    /// of yours failing) becomes a ``Kind/source`` error carrying its text.
    public init(_ error: any Error) {
        switch error {
        case let e as QuarryError:
            self = e
        case let e as QueryError:
            let kind: Kind = switch e.stop {
            case .cancelled?: .cancelled
            case .deadline?: .deadline
            case nil: e.exceededBudgetBytes == nil ? (e.concernsInputs ? .input : .query) : .budget
            }
            self.init(kind, e.message, at: e.position, budgetBytes: e.exceededBudgetBytes)
        case let e as EDNError:
            self.init(.syntax, e.message, at: e.position)
        case let e as TransactionError:
            self.init(.transaction, e.message, at: e.position)
        case let e as StoreError:
            self.init(.source, e.description)
        case let e as ScanError:
            self.init(.source, e.message)
        case let e as CoreError:
            self.init(e.kind == .budgetExceeded ? .budget : .engine, "\(e)")
        case is CancellationError:
            self.init(.cancelled, QueryError.cancelled.message)
        default:
            self.init(.source, "\(error)")
        }
    }

    /// `message`, then ` at line:column` when the position is known.
    public var description: String {
        position == .unknown ? message : "\(message) at \(position)"
    }

    /// Runs `body`, turning whatever it throws into a `QuarryError`.
    static func mapping<T>(_ body: () throws -> T) throws(QuarryError) -> T {
        do { return try body() } catch { throw QuarryError(error) }
    }
}
