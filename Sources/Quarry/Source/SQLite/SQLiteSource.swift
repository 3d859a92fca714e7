import Foundation

/// Datoms in a SQLite file (Debian's libsqlite3): one `datoms` table with
/// covering indexes for the EAVT, AEVT, AVET and VAET access paths, the
/// schema in `attributes`, per-attribute figures in `figures`.
///
/// The file is not trusted. It must carry Quarry's marks (see
/// ``OpenMode``) before SQLite opens it, and every value read from it is
/// checked (storage class, tag, length, range); a bad one is a
/// ``StoreError`` naming the file. A source opened ``OpenMode/readOnly``
/// (the default) never writes the file and never creates one.
///
/// A batched scan is one statement: the bindings travel as a `VALUES` list
/// of bound parameters (never spliced into the SQL text) joined with the
/// datoms, ordered by binding. Statements executed are counted: against
/// SQLite they are the round trips.
public actor SQLiteSource: WritableDatomSource {
    /// How a source opens its file. Only ``create`` and ``createIfMissing``
    /// make a file; every mode refuses an existing file that is not a
    /// Quarry store, without changing a byte of it.
    public enum OpenMode: Sendable {
        /// Queries only: the file is opened read-only (the default).
        case readOnly
        /// Queries and writes to a store that exists.
        case readWrite
        /// A new, empty store; an error if the path exists.
        case create
        /// ``readWrite``, creating an empty store when nothing is at the path.
        case createIfMissing
    }

    public nonisolated let name: String
    /// The store's file.
    public nonisolated let path: String
    /// How the file was opened.
    public nonisolated let mode: OpenMode
    let connection: SQLiteConnection
    /// The thread the source's work runs on, off Swift's cooperative pool.
    private nonisolated let executor: ThreadExecutor
    /// Statements executed (one per scan, one per description).
    public private(set) var statements = 0
    private var scanRowObserver: (@Sendable (Int) -> Void)?
    /// The busy timeout, for the connections read sessions open.
    let busyMilliseconds: Int32
    /// Read sessions open (each its own connection in a read transaction),
    /// and connections of closed ones kept for the next.
    var sessions: [Int: SQLiteConnection] = [:]
    var idleSessionConnections: [SQLiteConnection] = []
    var nextSession = 0

    /// SQLite allows 32,766 bound parameters per statement; a binding takes
    /// one per parameter, and a few are kept for the attributes.
    public nonisolated var maxKeysPerRequest: Int? { 8_000 }

    /// Opens the store at `path`. `busyTimeout` is how long a write waits
    /// for another process's write to finish before it fails.
    public init(path: String, mode: OpenMode = .readOnly, busyTimeout: Duration = .seconds(10)) throws {
        self.path = path
        self.mode = mode
        name = "sqlite:" + (path as NSString).lastPathComponent
        switch mode {
        case .create:
            guard try SQLiteStoreFile.create(path) else { throw StoreError("already exists", path: path) }
        case .createIfMissing:
            // Another process may create it first: then it is opened as it is.
            if !FileManager.default.fileExists(atPath: path) { _ = try SQLiteStoreFile.create(path) }
        case .readOnly, .readWrite:
            break
        }
        try SQLiteStoreFile.checkHeader(path)
        let connection: SQLiteConnection
        do {
            connection = try SQLiteConnection(path: path, mode: mode == .readOnly ? .readOnly : .readWrite)
        } catch {
            throw StoreError("cannot be opened: \(error)", path: path)
        }
        // Any duration is accepted: below zero waits not at all, past Int32.max ms (24 days) that long.
        let ms = busyTimeout / .milliseconds(1)
        busyMilliseconds = ms > 0 ? Int32(min(ms, Double(Int32.max))) : 0
        connection.setBusyTimeout(milliseconds: busyMilliseconds)
        // SQLite's default page cache (2 MiB) holds the indexes of a few
        // thousand datoms; a write's index probes then read pages from the
        // OS at every step. 16 MiB (taken as pages are read, per connection)
        // holds those of about 100,000. Not having it is no error.
        try? connection.execute("PRAGMA cache_size = -16384")
        try Self.fileErrors(path) { try SQLiteStoreFile.checkMarks(connection, path: path) }
        self.connection = connection
        // Last: an init that throws before never starts the thread.
        executor = ThreadExecutor(name: "quarry.sqlite")
    }

    deinit { executor.stop() }

    /// The source's own thread: SQLite's calls block (the disk, other
    /// processes' locks for up to the busy timeout), and on the
    /// cooperative pool they would stall the process's other tasks.
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    /// Whether the caller runs on the source's own thread.
    @_spi(Testing) public func runsOnOwnThread() -> Bool { executor.isCurrent }

    public func describe() async throws -> SourceDescription {
        statements += 1
        return try fileErrors { try describeNow() }
    }

    /// The schema and figures, every stored figure checked.
    func describeNow() throws -> SourceDescription {
        let attributes = try storedAttributes()
        var figures: [Keyword: SourceDescription.AttributeFigures] = [:]
        var total = 0
        let f = try connection.prepare("SELECT a, datoms, entities, vals FROM figures")
        while try f.step() {
            let a = try Self.attributeIdent(f, column: 0)
            let counts = try (1...3).map { try Self.count(f, column: $0, what: "figure of \(a)") }
            figures[a] = .init(datoms: counts[0], distinctEntities: counts[1], distinctValues: counts[2])
            let (sum, overflow) = total.addingReportingOverflow(counts[0])
            guard !overflow else { throw ScanError("the figures count more than \(Int.max) datoms") }
            total = sum
        }
        return SourceDescription(attributes: attributes, figures: figures, datoms: total,
                                 maxEntity: try meta("max_entity"))
    }

    /// The attributes table, every field checked.
    func storedAttributes() throws -> [Attribute] {
        var attributes: [Attribute] = []
        let a = try connection.prepare("SELECT ident, value_type, many, uniq, indexed, component FROM attributes")
        while try a.step() {
            let ident = try Self.attributeIdent(a, column: 0)
            attributes.append(Attribute(ident: ident, valueType: try Self.optional(a, column: 1, ident),
                                        cardinalityMany: try Self.flag(a, column: 2, ident),
                                        unique: try Self.optional(a, column: 3, ident),
                                        indexed: try Self.flag(a, column: 4, ident),
                                        isComponent: try Self.flag(a, column: 5, ident)))
        }
        return attributes
    }

    /// The id the store's next transaction gets (the first one's in a new store).
    func nextTx() throws -> Int64 {
        let next = try meta("next_tx")
        return next == 0 ? Database.firstTx : next
    }

    /// A counter in `meta` (0 when missing), which must not be negative;
    /// read through `connection` (the source's own by default).
    func meta(_ key: String, on connection: SQLiteConnection? = nil) throws -> Int64 {
        let s = try (connection ?? self.connection).prepare("SELECT value FROM meta WHERE key = ?")
        try s.bind([.text(key)])
        guard try s.step() else { return 0 }
        guard s.type(0) == .integer, s.int64(0) >= 0 else { throw ScanError("the stored \(key) is not a count") }
        return s.int64(0)
    }

    /// Runs on the source's own thread (see ``unownedExecutor``). A task
    /// cancelled while its statement runs stops the statement
    /// (`sqlite3_interrupt`) and gets a `CancellationError`; a cancelled
    /// task's request that has not started never runs.
    public func scan(_ request: ScanRequest, account: MemoryAccount?) async throws -> ScanRows {
        try await scan(request, account: account, on: connection)
    }

    /// ``scan(_:account:)`` through `connection`: the source's own, or a
    /// read session's.
    func scan(_ request: ScanRequest, account: MemoryAccount?, on connection: SQLiteConnection) async throws -> ScanRows {
        try Task.checkCancellation()
        let interrupter = connection.interrupter
        let run = interrupter.begin()
        defer { interrupter.end(run) }
        return try await withTaskCancellationHandler {
            try scanNow(request, account: account, on: connection)
        } onCancel: {
            interrupter.interrupt(run)
        }
    }

    /// Called with the number of rows read so far after each row a scan
    /// reads: a test cancels a scan in the middle of its statement.
    @_spi(Testing) public func observeScanRows(_ observer: (@Sendable (Int) -> Void)?) {
        scanRowObserver = observer
    }

    /// Rows between checks of the task's cancellation in a scan's loop:
    /// the interrupt covers a statement that is running, this the moment
    /// before it starts.
    private static let cancellationCheckRows = 4_096

    private func scanNow(_ request: ScanRequest, account: MemoryAccount?, on connection: SQLiteConnection) throws -> ScanRows {
        try fileErrors {
            let shape = request.shape
            if let limit = maxKeysPerRequest, request.bindings.count > limit {
                throw ScanError("\(name) takes at most \(limit) keys per statement, \(request.bindings.count) sent")
            }
            let rows = try ScanRows(projection: shape.projection, account: account)
            guard !request.bindings.isEmpty else { return rows }
            let (sql, parameters) = Self.scanSQL(request)
            let statement = try connection.prepare(sql)
            try statement.bind(parameters)
            statements += 1
            var attributes = RepeatedText<Keyword>()
            var read = 0
            let observer = scanRowObserver
            while try statement.step() {
                read += 1
                observer?(read)
                if read % Self.cancellationCheckRows == 0 { try Task.checkCancellation() }
                let datom = try Self.datom(statement, from: 1, attributes: &attributes)
                if !shape.filter.isEmpty, !shape.filter.admits(datom.v) { continue }
                try rows.append(binding: Int(statement.int64(0)), datom)
            }
            return rows
        }
    }

    /// Runs `body`, turning a SQLite error or a bad stored value into a
    /// ``StoreError`` that names the file.
    func fileErrors<T>(_ body: () throws -> T) throws -> T { try Self.fileErrors(path, body) }

    static func fileErrors<T>(_ path: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as StoreError {
            throw error
        } catch let error as ScanError {
            throw StoreError(error.message, path: path)
        } catch let error as SQLiteError where error.interrupted {
            // Only a cancelled task's handler interrupts a statement.
            throw CancellationError()
        } catch let error as SQLiteError where error.busy {
            throw StoreError("another process held the database locked for longer than the busy timeout", path: path)
        } catch let error as SQLiteError {
            throw StoreError(error.description, path: path)
        }
    }

    /// The statement of a batched scan and its parameters: the bindings as
    /// a VALUES list joined on the bound positions, the attributes as an IN
    /// list, rows in binding order.
    static func scanSQL(_ request: ScanRequest) -> (String, [SQLiteValue]) {
        let shape = request.shape
        let positions = shape.parameters.indexes
        var parameters: [SQLiteValue] = []
        var conditions: [String] = []
        var source = "datoms d"
        var key = "0"
        if !positions.isEmpty {
            let columns = (0..<positions.count).map { "p\($0)" }
            let row = "(" + Array(repeating: "?", count: positions.count + 1).joined(separator: ", ") + ")"
            source = "(WITH k(i, \(columns.joined(separator: ", "))) AS (VALUES "
                + Array(repeating: row, count: request.bindings.count).joined(separator: ", ")
                + ") SELECT * FROM k) k CROSS JOIN datoms d"
            key = "k.i"
            for (i, binding) in request.bindings.enumerated() {
                parameters.append(.int(Int64(i)))
                for (j, p) in positions.enumerated() { parameters.append(sqlValue(binding[j], position: p)) }
            }
            for (j, p) in positions.enumerated() {
                switch p {
                case 0: conditions.append("d.e = k.p\(j)")
                case 1: conditions.append("d.a = k.p\(j)")
                case 2:
                    conditions.append("d.vt = ? AND d.v = k.p\(j)")
                    parameters.append(.int(Int64(storedTag(shape.parameterKinds[j]).rawValue)))
                default: conditions.append("d.tx = k.p\(j)")
                }
            }
        }
        if !shape.attributes.isEmpty {
            conditions.append("d.a IN (" + Array(repeating: "?", count: shape.attributes.count).joined(separator: ", ") + ")")
            parameters += shape.attributes.map { .text($0.text) }
        } else if !positions.contains(0) && !positions.contains(1) {
            // Neither entity nor attribute: system entities are skipped (Database.systemEntities).
            conditions.append("(d.e < ? OR d.e >= ?)")
            parameters += [.int(Database.systemEntities.lowerBound), .int(Database.systemEntities.upperBound)]
        }
        if let (condition, values) = filterSQL(shape.filter) {
            conditions.append(condition)
            parameters += values
        }
        let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        let order = positions.isEmpty ? "" : " ORDER BY k.i"
        return ("SELECT \(key), d.e, d.a, d.vt, d.v, d.tx FROM \(source)\(filter)\(order)", parameters)
    }

    /// The condition SQLite evaluates for a scan's value filter, and its
    /// parameters: numbers (integers and doubles, which SQLite compares
    /// exactly across each other, as the query does) and instants by
    /// their stored tags and an index range of `v`. Nil for no filter, or
    /// one SQLite would order otherwise (strings: SQLite compares bytes);
    /// the rows are checked against the filter as they are read all the
    /// same, so the condition only has to keep every row the filter admits.
    static func filterSQL(_ filter: ScanFilter) -> (String, [SQLiteValue])? {
        // The tags stored for a bound's domain (ValueBounds draws the same ones for a local range).
        func domain(_ v: Value) -> [ValueTag]? {
            ValueBounds.domain(of: v).map { $0 == .number ? [.int, .double] : [.instant] }
        }
        func number(_ v: Value) -> SQLiteValue? {
            switch v {
            case .int(let i), .ref(let i): .int(i)
            case .double(let d): .double(d)
            case .instant(let t): .int(t.millisecondsSinceEpoch)
            default: nil
            }
        }
        let ends = [filter.lower.map { ($0, ">") }, filter.upper.map { ($0, "<") }].compactMap { $0 }
        guard !ends.isEmpty else { return nil }
        let domains = ends.map { domain($0.0.value) }
        guard let tags = domains[0], domains.allSatisfy({ $0 == tags }) else {
            // Bounds SQLite cannot order stay with the check per row; bounds of two domains admit nothing.
            return domains.allSatisfy({ $0 != nil }) ? ("0", []) : nil
        }
        var sql = "d.vt IN (" + tags.map { _ in "?" }.joined(separator: ", ") + ")"
        var values = tags.map { SQLiteValue.int(Int64(storedTag($0).rawValue)) }
        for (bound, direction) in ends {
            sql += " AND d.v \(direction)\(bound.inclusive ? "=" : "") ?"
            values.append(number(bound.value)!)
        }
        return (sql, values)
    }

    /// References are stored as integers, as in the in-memory store.
    static func storedTag(_ t: ValueTag) -> ValueTag { t == .ref ? .int : t }

    /// `v` as bound for position `position` of a datom. An entity or tx
    /// that is not an integer, or an attribute that is not a keyword, is
    /// NULL, which equals nothing: SQLite would turn the text "1" into the
    /// entity 1 (the column's affinity), where no datom can hold a string.
    static func sqlValue(_ v: Value, position: Int) -> SQLiteValue {
        switch (position, v) {
        case (0, .int), (0, .ref), (3, .int), (3, .ref), (1, .keyword), (2, _): break
        default: return .null
        }
        return switch v {
        case .int(let x), .ref(let x): .int(x)
        case .double(let d): .double(d)
        case .bool(let b): .int(b ? 1 : 0)
        case .string(let s): .text(s)
        case .keyword(let k): .text(k.text)
        case .instant(let t): .int(t.millisecondsSinceEpoch)
        case .uuid, .tuple, .map: .blob(v.storedBytes ?? [])
        }
    }
}
