/// A database that changes: its current value, one writer at a time,
/// readers that never wait, and the report of every transaction for
/// those listening.
///
/// ```swift
/// let conn = try await Connection.open(path: "people.sqlite")   // durable; Connection() in memory
/// let report = try await conn.transact(try EDNReader.readOne(#"[{:db/id "ann" :person/name "Ann"}]"#))
/// report.tempids[.string("ann")]                               // Ann's id
/// let db = conn.db                                             // a value: query it from any thread
/// for await report in conn.reports() { ... }                   // every transaction from now on
/// ```
///
/// ``db`` is a ``Database`` value: a reader takes it once and queries it
/// while writers go on; it never changes under the reader. Transactions
/// run one after another, each against the value the previous one left.
/// Over a SQLite file, each transaction's changes are appended to the file
/// in one SQLite transaction before the new value is published, so the
/// file holds every transaction a caller saw succeed, and none half. A
/// connection over a file is its only writer: a write finds the file as
/// the connection left it, or fails without writing.
public final class Connection: Sendable {
    private struct State {
        var db: Database
        var listeners: [Int: AsyncStream<TransactionReport>.Continuation] = [:]
        var nextListener = 0
    }

    private let state: Locked<State>
    private let writer = Writer()
    private let store: SQLiteSource?

    /// A connection over a database held in memory only.
    public convenience init(_ db: Database) {
        self.init(db, store: nil)
    }

    /// A connection over an empty database held in memory only.
    public convenience init() throws {
        self.init(try Database(), store: nil)
    }

    private init(_ db: Database, store: SQLiteSource?) {
        state = Locked(State(db: db))
        self.store = store
    }

    /// A durable connection over the SQLite store at `path`, created
    /// empty when nothing is there: the store is read into memory at open,
    /// and every transaction is appended to it as it commits.
    public static func open(path: String) async throws -> Connection {
        let source = try SQLiteSource(path: path, mode: .createIfMissing)
        return Connection(try await source.database(), store: source)
    }

    /// The current database value.
    public var db: Database { state.withLock { $0.db } }

    /// Applies transaction data to the current value, makes the result
    /// current (over a file, once it is written) and reports it to the
    /// listeners. On an error nothing changes. `instant`: the
    /// transaction's `:db/txInstant` (now, by default).
    @discardableResult
    public func transact(_ data: EDN, at instant: Instant? = nil) async throws -> TransactionReport {
        await writer.acquire()
        do {
            let report = try db.transactReport(data, at: instant)
            if let store { _ = try await store.append(report) }
            let listeners = state.withLock { s in
                s.db = report.dbAfter
                return Array(s.listeners.values)
            }
            // Yielded before the next write may run: listeners see commit order.
            for l in listeners { l.yield(report) }
            await writer.release()
            return report
        } catch {
            await writer.release()
            throw error
        }
    }

    /// What transacting `data` would do, without doing it: the report of
    /// the transaction applied to the current value, which stays current.
    public func with(_ data: EDN, at instant: Instant? = nil) throws -> TransactionReport {
        try db.transactReport(data, at: instant)
    }

    /// The reports of the transactions committed from now on, in commit
    /// order, until the stream's consumer stops (each call is a listener
    /// of its own; a slow one buffers, it never holds up writers).
    public func reports() -> AsyncStream<TransactionReport> {
        AsyncStream { continuation in
            let id = state.withLock { s in
                let id = s.nextListener
                s.nextListener += 1
                s.listeners[id] = continuation
                return id
            }
            continuation.onTermination = { [weak self] _ in
                _ = self?.state.withLock { $0.listeners.removeValue(forKey: id) }
            }
        }
    }

    deinit {
        for l in state.withLock({ Array($0.listeners.values) }) { l.finish() }
    }

    /// Lets one write at a time through, in the order they arrive. A
    /// write holds it across its suspension points (the file's append),
    /// which an actor's own isolation would not: another call could enter
    /// at each `await` and transact against the same value.
    private actor Writer {
        private var busy = false
        private var waiting: [CheckedContinuation<Void, Never>] = []

        func acquire() async {
            guard busy else {
                busy = true
                return
            }
            await withCheckedContinuation { waiting.append($0) }
        }

        /// Hands the turn to the next waiting write, or frees it.
        func release() {
            if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
        }
    }
}
