/// A store of datoms the engine reads through batched scans: the in-memory
/// store, SQLite, or a wrapper such as ``LatencySource``.
///
/// The main call, ``scan(_:account:)``, answers one shape for many
/// bindings at once, so that a remote store costs one round trip per batch
/// rather than one per binding. Conformers must be safe to call from many
/// tasks at once.
public protocol DatomSource: Sendable {
    /// A name for EXPLAIN, errors and fingerprints.
    var name: String { get }

    /// The most bindings one scan request may carry; nil: no limit.
    var maxKeysPerRequest: Int? { get }

    /// The schema and the figures the planner estimates with.
    func describe() async throws -> SourceDescription

    /// The datoms matching each binding of `request`, as rows tagged by the
    /// binding's index, grouped by binding in ascending order, carrying the
    /// shape's projection; their memory is charged to `account`.
    func scan(_ request: ScanRequest, account: MemoryAccount?) async throws -> ScanRows

    /// A session whose scans all read one state of the store: a remote
    /// query opens one and sends every round through it. The default reads
    /// the current state at each scan (see ``DatomReadSession``); a store
    /// that can hold a snapshot (a read transaction) should return one
    /// that does.
    func openReadSession() async throws -> any DatomReadSession

    /// The description the source read last, if it keeps one: a remote
    /// query plans its first round with it while its read session opens
    /// (a round trip), and keeps that round only if the session's own
    /// description is the same. Nil (the default): the round waits.
    var latestDescription: SourceDescription? { get }
}

extension DatomSource {
    public var maxKeysPerRequest: Int? { nil }
    public var latestDescription: SourceDescription? { nil }
}

/// A source Quarry can write to. A write reports what it touched, so that
/// a cache over the source can drop what may have changed.
public protocol WritableDatomSource: DatomSource {
    /// Applies transaction data (an EDN vector, as ``Database/transact(_:)``
    /// takes); on an error nothing is applied.
    func transact(_ data: EDN) async throws -> WriteSummary
}

/// What a write touched.
public struct WriteSummary: Sendable, Equatable {
    /// Attributes with a datom added or retracted.
    public var attributes: Set<Keyword>
    /// Datoms added or retracted.
    public var datoms: Int

    /// A summary of a write.
    public init(attributes: Set<Keyword>, datoms: Int) {
        self.attributes = attributes
        self.datoms = datoms
    }
}

/// A source's schema and statistics: what the planner needs to plan a
/// query before any datom is fetched.
public struct SourceDescription: Sendable, Equatable {
    /// Figures of one attribute.
    public struct AttributeFigures: Sendable, Equatable {
        /// Datoms of the attribute.
        public var datoms: Int
        /// Distinct entities that have it.
        public var distinctEntities: Int
        /// Distinct values it holds.
        public var distinctValues: Int

        /// Figures of one attribute.
        public init(datoms: Int, distinctEntities: Int, distinctValues: Int) {
            self.datoms = datoms
            self.distinctEntities = distinctEntities
            self.distinctValues = distinctValues
        }
    }

    /// The schema's attributes.
    public var attributes: [Attribute]
    /// Figures per attribute, for planning.
    public var figures: [Keyword: AttributeFigures]
    /// Datoms in the store.
    public var datoms: Int
    /// The largest entity id in the store.
    public var maxEntity: Int64

    /// A description of a store.
    public init(attributes: [Attribute], figures: [Keyword: AttributeFigures], datoms: Int, maxEntity: Int64) {
        self.attributes = attributes
        self.figures = figures
        self.datoms = datoms
        self.maxEntity = maxEntity
    }
}

/// A write to a store, as the store announces it when it commits.
public struct SourceWriteNotice: Sendable, Equatable {
    /// The store's version after the write: the ``DatomReadSession/snapshot``
    /// of a session that begins after it. Each write moves it by one.
    public var snapshot: UInt64
    /// The attributes the write touched; empty when unknown (then
    /// everything may have changed).
    public var attributes: Set<Keyword>

    /// A notice of the write that made version `snapshot`.
    public init(snapshot: UInt64, attributes: Set<Keyword>) {
        self.snapshot = snapshot
        self.attributes = attributes
    }
}

/// A source that announces writes, whichever client makes them (for
/// PostgreSQL, through `LISTEN`/`NOTIFY`). A materializer over it drops
/// only what each write touched when a newer snapshot comes, instead of
/// its whole cache.
public protocol WriteAnnouncingSource: DatomSource {
    /// The writes that commit from now on, in commit order, until the
    /// consumer stops (the stream ends if the store's channel is lost: a
    /// write missed is then caught by its snapshot).
    func writeNotices() -> AsyncStream<SourceWriteNotice>
}
