/// One query's view of a ``DatomSource``: every scan through a session
/// reads the same state of the store, whatever is written meanwhile, so
/// that a query whose rounds fetch at different times still answers from
/// one version of the data.
///
/// A remote query opens one session (``DatomSource/openReadSession()``),
/// sends every round's scans through it, and closes it when it ends. The
/// materializer shares a request in the air, and its cached answers, only
/// among sessions that read the same ``snapshot``.
public protocol DatomReadSession: Sendable {
    /// The version of the store the session reads. Two sessions with the
    /// same snapshot see the same datoms, and a later version has a larger
    /// number (SQLite: the store's next transaction id when the session
    /// began). Nil: the source keeps no snapshot and every scan reads the
    /// store as it is when the scan runs (see ``DatomSource/openReadSession()``).
    var snapshot: UInt64? { get }

    /// The store's description as of ``snapshot``, when the session read
    /// it as it opened (PostgreSQL: in the statement that fixes the
    /// snapshot, so a query pays no round trip of its own for it); nil:
    /// the query asks the source (``DatomSource/describe()``).
    var sourceDescription: SourceDescription? { get }

    /// ``DatomSource/scan(_:account:)`` against the session's snapshot.
    func scan(_ request: ScanRequest, account: MemoryAccount?) async throws -> ScanRows

    /// Ends the session and lets the store go of its snapshot. Called once,
    /// after the last scan has returned; a scan after it is an error.
    func close() async
}

extension DatomReadSession {
    /// Nil: the session reads no description of its own.
    public var sourceDescription: SourceDescription? { nil }
}

extension DatomSource {
    /// A session that reads the store as it is at each scan: the default
    /// for a source that cannot hold a snapshot. Its ``DatomReadSession/snapshot``
    /// is nil, so a query over such a source may see a write land between
    /// its rounds; the materializer drops what writes through it touch.
    public func openReadSession() async throws -> any DatomReadSession {
        CurrentStateSession(source: self)
    }
}

/// Scans the source itself: no snapshot (see ``DatomSource/openReadSession()``).
struct CurrentStateSession: DatomReadSession {
    let source: any DatomSource

    var snapshot: UInt64? { nil }

    func scan(_ request: ScanRequest, account: MemoryAccount?) async throws -> ScanRows {
        try await source.scan(request, account: account)
    }

    func close() async {}
}
