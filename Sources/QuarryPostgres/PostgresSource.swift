#if Postgres
import Foundation
import Logging
import NIOCore
import PostgresNIO
import Quarry
import Synchronization

/// Datoms in PostgreSQL, or in a database that speaks its protocol and SQL
/// (YugabyteDB, Citus, CockroachDB): the `quarry_datoms` table with a type
/// tag and typed value columns, indexes for the EAVT, AEVT, AVET and VAET
/// paths, the schema, exact per-attribute figures and two counters in
/// tables of their own (see ``PostgresSchema``).
///
/// A batched scan is one statement whose keys travel as arrays (see
/// ``scan(_:account:)``). A remote query reads all its rounds in one
/// `REPEATABLE READ` transaction (``openReadSession()``). Connections come
/// from a pool (postgres-nio's `PostgresClient`), running until ``close()``.
public final class PostgresSource: DatomSource, Sendable {
    public let name: String
    /// Where the store is (without its password).
    public let url: PostgresURL
    let client: PostgresClient
    private let running: Task<Void, Never>
    let logger = Logger(label: "quarry.postgres")
    /// Statements sent, and of those scans, from any task.
    private let counts = Mutex<(statements: Int, scans: Int)>((0, 0))
    /// What the last description read says of each attribute (its datoms
    /// and the one tag its type stores), and the tag all its datoms had
    /// when a scan last read it whole: shapes scans without keys.
    let storedAttributes = Mutex<[Keyword: PostgresScanStatement.StoredAttribute]>([:])
    /// The description last read (a read session's opening reads one).
    private let lastDescription = Mutex<SourceDescription?>(nil)
    /// The connection kept begun for the next read session, outside the pool.
    let standby = PostgresStandbyReader()
    /// Whether a read session that ends makes the standby connection.
    public let keepsStandby: Bool
    /// The pool's size.
    let maxConnections: Int
    /// Whether a write announces itself (`NOTIFY`, which CockroachDB lacks).
    public let announcesWrites: Bool
    /// The tasks listening for write notices, stopped by ``close()``.
    let listeners = Mutex<[Task<Void, Never>]>([])
    /// Listeners whose `LISTEN` the server has taken, and callers waiting for a number of them (tests).
    let listening = Mutex<(count: Int, waiting: [(Int, CheckedContinuation<Void, Never>)])>((0, []))

    /// The description the source read last: what a query's first round
    /// is planned with while its read session opens.
    public var latestDescription: SourceDescription? { lastDescription.withLock { $0 } }

    /// Keys travel as arrays: a request's size is bounded by memory, not
    /// by PostgreSQL's 65,535 parameters.
    public var maxKeysPerRequest: Int? { 50_000 }

    /// Statements sent to the server so far (scans, descriptions, and each
    /// session's start and end): its round trips. The pool's pings of
    /// connections idle for 30 s (`SELECT 1 AS quarry_keep_alive`) are no
    /// query's and are not counted.
    public var statements: Int { counts.withLock { $0.statements } }

    /// Of those, scans of datoms: the requests a query's round trips carry.
    public var scans: Int { counts.withLock { $0.scans } }

    /// A source over the store at `url`, through a pool of at most
    /// `maxConnections` connections (a read session holds one for its
    /// query), and one more kept for the next read session once one has
    /// ended (`keepsStandby`: a process that reads once and exits has no
    /// use for it). Nothing is sent until the first request; the pool runs
    /// until ``close()``. `announceWrites`: whether writes announce
    /// themselves to other clients through `NOTIFY` (see
    /// ``writeNotices()``); off for a database without it (CockroachDB).
    public init(url: PostgresURL, maxConnections: Int = 16, announceWrites: Bool = true,
                keepsStandby: Bool = true) throws {
        self.url = url
        self.keepsStandby = keepsStandby
        announcesWrites = announceWrites
        name = "postgres:\(url.database)"
        var configuration = try url.configuration()
        self.maxConnections = max(1, maxConnections)
        configuration.options.maximumConnections = self.maxConnections
        // The pool pings a connection idle for 30 s; its statement names
        // itself, so that the server's statistics tell it from a query's.
        configuration.options.keepAliveBehavior = .init(frequency: .seconds(30), query: "SELECT 1 AS quarry_keep_alive")
        // The pool's own log would print to the host's stderr: errors reach the caller instead.
        var poolLogger = Logger(label: "quarry.postgres.pool")
        poolLogger.logLevel = .critical
        let client = PostgresClient(configuration: configuration, backgroundLogger: poolLogger)
        self.client = client
        running = Task { await client.run() }
    }

    /// Connects to the store at `url` and, unless `requireStore` is
    /// false (a first write makes the tables), checks that it holds
    /// Quarry's tables, so that a wrong URL fails here in one line
    /// (`keepsStandby`: see ``init(url:maxConnections:announceWrites:keepsStandby:)``).
    public static func open(_ url: PostgresURL, maxConnections: Int = 16, requireStore: Bool = true,
                            keepsStandby: Bool = true) async throws -> PostgresSource
    {
        // One connection first: the pool retries a failed connection for a
        // minute before it gives up, while the server's refusal says why at once.
        var quiet = Logger(label: "quarry.postgres.open")
        quiet.logLevel = .critical
        do {
            let conn = try await PostgresConnection.connect(configuration: try url.connectionConfiguration(), id: 0,
                                                            logger: quiet)
            try? await conn.close()
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw PostgresStoreError("\(url): " + PostgresStoreError.describe(error))
        }
        let source = try PostgresSource(url: url, maxConnections: maxConnections, keepsStandby: keepsStandby)
        guard requireStore else { return source }
        do {
            _ = try await source.describe()
        } catch {
            await source.close()
            throw error
        }
        return source
    }

    /// Stops the pool: its connections close (and the standby reader's).
    public func close() async {
        await standby.close()
        for task in listeners.withLock({ $0 }) { task.cancel() }
        running.cancel()
        _ = await running.result
    }

    deinit { running.cancel() }

    func counted(scan: Bool = false) {
        counts.withLock { c in
            c.statements += 1
            if scan { c.scans += 1 }
        }
    }

    /// Runs `body` on a pooled connection, turning errors into one line.
    func withConnection<T: Sendable>(_ body: @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await client.withConnection(body)
        } catch is CancellationError {
            throw CancellationError()
        } catch let e as PostgresStoreError {
            throw e
        } catch let e as TransactionError {
            // A write Quarry refused: the caller sees it as from any store.
            throw e
        } catch let e as EDNError {
            throw e
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw PostgresStoreError(PostgresStoreError.describe(error))
        }
    }

    public func describe() async throws -> SourceDescription {
        try await withConnection { conn in try await self.describe(on: conn).description }
    }

    public func scan(_ request: ScanRequest, account: MemoryAccount?) async throws -> ScanRows {
        try await withConnection { conn in try await self.scan(request, account: account, on: conn) }
    }

    /// A scan through `connection` (the pool's, or a read session's).
    func scan(_ request: ScanRequest, account: MemoryAccount?, on connection: PostgresConnection) async throws -> ScanRows {
        let shape = request.shape
        if let limit = maxKeysPerRequest, request.bindings.count > limit {
            throw ScanError("\(name) takes at most \(limit) keys per statement, \(request.bindings.count) sent")
        }
        let rows = try ScanRows(projection: shape.projection, account: account)
        guard !request.bindings.isEmpty else { return rows }
        let stored = storedAttributes.withLock { $0 }
        let statement = try PostgresScanStatement(request, stored: stored)
        if !shape.parameters.isEmpty, statement.bindingOfKey.isEmpty { return rows }
        let strays = try await scan(statement, request, into: rows, on: connection)
        if !strays.isEmpty {
            // Attributes holding values of another tag than guessed: read again with their tags.
            storedAttributes.withLock { known in for a in strays { known[a]?.seenTag = nil } }
            var again = request
            again.shape.attributes = strays
            _ = try await scan(try PostgresScanStatement(again, stored: stored, branches: false), again, into: rows,
                               on: connection)
        }
        return rows
    }

    /// Sends `statement` (of `request`) and writes its datoms into `rows`;
    /// the attributes read in branches of their own whose rows had strays
    /// (see ``PostgresScanStatement``), which were not written.
    private func scan(_ statement: PostgresScanStatement, _ request: ScanRequest, into rows: ScanRows,
                      on connection: PostgresConnection) async throws -> [Keyword] {
        let shape = request.shape
        var strays: [Keyword] = []
        // Per attribute read whole by the general statement, the one tag its datoms had (nil: several).
        let learns = shape.parameters.isEmpty && shape.filter.isEmpty
        var seen: [String: Int16?] = [:]
        counted(scan: true)
        let result = try await connection.send(statement.query, logger: logger)
        // The datoms, tagged by binding; rows of arrays come in no particular order.
        // Datoms of a keyed scan, tagged by binding; a scan without keys writes its rows as they come.
        var found: [(binding: Int, datom: SourceDatom)] = []
        var keywords: [String: Keyword] = [:]
        let filters = !shape.filter.isEmpty, keyed = !shape.parameters.isEmpty
        for try await row in result {
            // See PostgresScanStatement: keys (NULL without keys), the attribute, the datoms' arrays.
            var cells = row.makeIterator()
            let keys = try PostgresArrayCell.int64s(cells.next())
            guard let text = try cells.next()?.decode(String?.self) else {
                throw PostgresStoreError("a stored datom has a NULL attribute")
            }
            let es = try PostgresArrayCell.int64s(cells.next()), tags = try PostgresArrayCell.int16s(cells.next())
            let vis = try PostgresArrayCell.int64s(cells.next()), vds = try PostgresArrayCell.doubles(cells.next())
            let vss = try PostgresArrayCell.strings(cells.next()), vbs = try PostgresArrayCell.bytes(cells.next())
            let txs = try PostgresArrayCell.int64s(cells.next())
            guard let stray = try cells.next()?.decode(Int64.self) else {
                throw PostgresStoreError("a scan's answer has fewer columns than asked for")
            }
            let typedTag = statement.typedTags[text]
            if typedTag != nil, stray != 0 {
                strays.append(Keyword(text))
                continue
            }
            let n = es.count, withTx = shape.projection.contains(.tx)
            guard tags.count == (typedTag == nil ? n : 0), keys.count == (shape.parameters.isEmpty ? 0 : n),
                  txs.count == (withTx ? n : 0)
            else { throw PostgresStoreError("the server's arrays of one answer differ in length") }
            if learns, typedTag == nil, let first = tags.first {
                let one = tags.allSatisfy { $0 == first } ? first : nil
                seen[text] = seen[text].map { $0 == one ? one : nil } ?? one
            }
            let a: Keyword
            if let known = keywords[text] { a = known } else { a = Keyword(text); keywords[text] = a }
            // A typed branch's numbers, whole: written a column at a time.
            if !keyed, !filters, let typedTag, let kind = try? PostgresValues.tag(typedTag),
               kind == .int || kind == .double || kind == .instant {
                try Self.appendNumbers(kind, a, es, vis, vds, txs, withTx: withTx, others: vss.count + vbs.count,
                                       into: rows)
                continue
            }
            // Each value column holds the values of the datoms whose tags keep them there, in order.
            if !keyed { try rows.reserve(rows: n) }
            var next = (vi: 0, vd: 0, vs: 0, vb: 0)
            for r in 0..<n {
                // A transaction the rows do not carry is not read (0 stands in).
                guard let e = es[r], let vt = typedTag ?? tags[r], let tx = withTx ? txs[r] : 0 else { throw Self.nullDatom }
                let v = try Self.value(tag: vt, vis, vds, vss, vbs, &next)
                if filters, !shape.filter.admits(v) { continue }
                guard keyed else {
                    try rows.append(binding: 0, SourceDatom(e: e, a: a, v: v, tx: tx))
                    continue
                }
                guard let i = keys[r], i >= 1, i <= statement.bindingOfKey.count else {
                    throw PostgresStoreError("the server answered for key \(keys[r].map(String.init) ?? "NULL") "
                                             + "of \(statement.bindingOfKey.count)")
                }
                found.append((statement.bindingOfKey[Int(i) - 1], SourceDatom(e: e, a: a, v: v, tx: tx)))
            }
            guard next == (vis.count, vds.count, vss.count, vbs.count) else {
                throw PostgresStoreError("the server's arrays of one answer differ in length")
            }
        }
        // Grouped by binding in ascending order, as sources answer; stable, so a binding's datoms keep their order.
        var order = Array(found.indices)
        order.sort { (found[$0].binding, $0) < (found[$1].binding, $1) }
        for k in order { try rows.append(binding: found[k].binding, found[k].datom) }
        if !seen.isEmpty {
            storedAttributes.withLock { known in
                for (text, tag) in seen { known[Keyword(text), default: .init()].seenTag = tag }
            }
        }
        return strays
    }

    /// A datom whose entity, tag or transaction the server sent as NULL.
    static let nullDatom = PostgresStoreError("a stored datom has a NULL entity, tag or transaction")

    /// A typed branch's answer row of numbers (`kind`: int, double or
    /// instant, all in one column), into `rows` without a `Value` a datom:
    /// every array as long as the entities', the other columns empty, no
    /// element NULL.
    private static func appendNumbers(_ kind: ValueTag, _ a: Keyword, _ es: [Int64?], _ vis: [Int64?], _ vds: [Double?],
                                      _ txs: [Int64?], withTx: Bool, others: Int, into rows: ScanRows) throws {
        let n = es.count, doubles = kind == .double
        guard (doubles ? vds.count : vis.count) == n, (doubles ? vis.count : vds.count) + others == 0 else {
            throw PostgresStoreError("the server's arrays of one answer differ in length")
        }
        func missing() -> PostgresStoreError { PostgresStoreError("a stored \(kind) value has no \(doubles ? "vd" : "vi")") }
        let null = Self.nullDatom
        try rows.append(binding: 0, attribute: a, numbers: kind, count: n,
                        entity: { i in
                            guard let e = es[i] else { throw null }
                            return e
                        },
                        word: doubles ? { i in
                            guard let d = vds[i] else { throw missing() }
                            return d.bitPattern
                        } : { i in
                            guard let x = vis[i] else { throw missing() }
                            return UInt64(bitPattern: x)
                        },
                        tx: { i in
                            guard withTx, let t = txs[i] else { throw null }
                            return t
                        })
    }

    /// The value of the next datom, tagged `tag`, from the column its tag
    /// keeps it in; `next` counts each column's values taken so far.
    private static func value(tag: Int16, _ vis: [Int64?], _ vds: [Double?], _ vss: [String?], _ vbs: [ByteBuffer?],
                              _ next: inout (vi: Int, vd: Int, vs: Int, vb: Int)) throws -> Value {
        func take<T>(_ column: [T?], _ i: inout Int) throws -> T? {
            guard i < column.count else { throw PostgresStoreError("the server's arrays of one answer differ in length") }
            defer { i += 1 }
            return column[i]
        }
        return switch PostgresValues.column(try PostgresValues.tag(tag)) {
        case .vi: try PostgresValues.value(tag: tag, vi: take(vis, &next.vi), vd: nil, vs: nil, vb: nil)
        case .vd: try PostgresValues.value(tag: tag, vi: nil, vd: take(vds, &next.vd), vs: nil, vb: nil)
        case .vs: try PostgresValues.value(tag: tag, vi: nil, vd: nil, vs: take(vss, &next.vs), vb: nil)
        case .vb: try PostgresValues.value(tag: tag, vi: nil, vd: nil, vs: nil, vb: take(vbs, &next.vb))
        }
    }

    private static let describeSQL = """
        SELECT 0::SMALLINT, ident, value_type, many, uniq, indexed, component, NULL::BIGINT, NULL::BIGINT,
            NULL::BIGINT FROM quarry_attributes
        UNION ALL SELECT 1::SMALLINT, a, NULL::TEXT, NULL::BOOLEAN, NULL::TEXT, NULL::BOOLEAN, NULL::BOOLEAN,
            datoms, entities, vals FROM quarry_figures
        UNION ALL SELECT 2::SMALLINT, key, NULL::TEXT, NULL::BOOLEAN, NULL::TEXT, NULL::BOOLEAN, NULL::BOOLEAN,
            value, NULL::BIGINT, NULL::BIGINT FROM quarry_meta WHERE key = 'max_entity'
        """
    /// The row a read session's opening adds: its server process and the store's next transaction id.
    private static let openingSQL = """

        UNION ALL SELECT 3::SMALLINT, '', NULL::TEXT, NULL::BOOLEAN, NULL::TEXT, NULL::BOOLEAN, NULL::BOOLEAN,
            pg_backend_pid()::BIGINT, COALESCE((SELECT value FROM quarry_meta WHERE key = 'next_tx'), 0), NULL::BIGINT
        """

    /// The schema, figures and largest entity, every field checked: one
    /// statement (a round trip, where one a table cost three), its rows
    /// told apart by their first column. `opening`: a read session's
    /// first statement, which also reads its server process and the
    /// store's next transaction id (one more row).
    func describe(on conn: PostgresConnection, opening: Bool = false) async throws
        -> (description: SourceDescription, session: (backend: Int32, nextTx: Int64)?)
    {
        counted()
        var attributes: [Attribute] = []
        var figures: [Keyword: SourceDescription.AttributeFigures] = [:]
        var total = 0
        var maxEntity: Int64 = 0
        var session: (backend: Int32, nextTx: Int64)?
        let sql = Self.describeSQL + (opening ? Self.openingSQL : "")
        for try await (kind, name, type, many, unique, indexed, component, n1, n2, n3) in try await conn.send(
            PostgresQuery(unsafeSQL: sql), logger: logger).decode((Int16, String, String?, Bool?, String?, Bool?, Bool?, Int64?, Int64?, Int64?).self) {
            switch kind {
            case 0:
                guard let many, let indexed, let component else {
                    throw PostgresStoreError("a stored flag of \(name) is NULL")
                }
                attributes.append(try Self.attribute(name, type, many, unique, indexed, component))
            case 1:
                guard let datoms = n1, let entities = n2, let values = n3 else {
                    throw PostgresStoreError("a figure of \(name) is NULL")
                }
                guard datoms >= 0, entities >= 0, values >= 0 else { throw PostgresStoreError("a figure of \(name) is negative") }
                figures[Keyword(name)] = .init(datoms: Int(datoms), distinctEntities: Int(entities), distinctValues: Int(values))
                let (sum, overflow) = total.addingReportingOverflow(Int(datoms))
                guard !overflow else { throw PostgresStoreError("the figures count more than \(Int.max) datoms") }
                total = sum
            case 2:
                guard let value = n1, value >= 0 else { throw PostgresStoreError("the stored max_entity is negative") }
                maxEntity = value
            case 3 where opening:
                guard let pid = n1.flatMap(Int32.init(exactly:)), let next = n2, next >= 0 else {
                    throw PostgresStoreError("the store's next transaction id could not be read")
                }
                session = (pid, next)
            default:
                throw PostgresStoreError("the store's description has a row of unknown kind \(kind)")
            }
        }
        var stored = figures.mapValues { PostgresScanStatement.StoredAttribute(datoms: $0.datoms) }
        for a in attributes { stored[a.ident, default: .init()].declaredTag = a.valueType.flatMap(PostgresValues.storedTag(of:)) }
        storedAttributes.withLock { known in
            for (a, k) in known where k.seenTag != nil { stored[a, default: .init()].seenTag = k.seenTag }
            known = stored
        }
        if opening, session == nil { throw PostgresStoreError("the store's next transaction id could not be read") }
        let description = SourceDescription(attributes: attributes, figures: figures, datoms: total, maxEntity: maxEntity)
        lastDescription.withLock { $0 = description }
        return (description, session)
    }

    /// The stored schema, every field checked.
    func storedAttributes(on conn: PostgresConnection) async throws -> [Attribute] {
        counted()
        var attributes: [Attribute] = []
        for try await (ident, type, many, unique, indexed, component) in try await conn.send(
            "SELECT ident, value_type, many, uniq, indexed, component FROM quarry_attributes", logger: logger
        ).decode((String, String?, Bool, String?, Bool, Bool).self) {
            attributes.append(try Self.attribute(ident, type, many, unique, indexed, component))
        }
        return attributes
    }

    /// One stored attribute, its value type and uniqueness checked.
    private static func attribute(_ ident: String, _ type: String?, _ many: Bool, _ unique: String?, _ indexed: Bool,
                                  _ component: Bool) throws -> Attribute {
        var valueType: AttributeType?
        if let type {
            guard let t = AttributeType(rawValue: type) else { throw PostgresStoreError("the stored value type of \(ident) is \(type)") }
            valueType = t
        }
        var uniqueness: Uniqueness?
        if let unique {
            guard let u = Uniqueness(rawValue: unique) else { throw PostgresStoreError("the stored uniqueness of \(ident) is \(unique)") }
            uniqueness = u
        }
        return Attribute(ident: Keyword(ident), valueType: valueType, cardinalityMany: many, unique: uniqueness,
                         indexed: indexed, isComponent: component)
    }

    /// A counter of `quarry_meta` (0 when missing), which must not be negative.
    static func meta(_ key: String, on conn: PostgresConnection, logger: Logger) async throws -> Int64 {
        for try await value in try await conn.send("SELECT value FROM quarry_meta WHERE key = \(key)", logger: logger)
            .decode(Int64.self) {
            guard value >= 0 else { throw PostgresStoreError("the stored \(key) is negative") }
            return value
        }
        return 0
    }
}
#endif
