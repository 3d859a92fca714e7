#if Postgres
import NIOCore
import PostgresNIO
import Quarry

/// The one statement of a batched scan. The bindings travel as arrays,
/// one per bound position (never spliced into the SQL text), unnested
/// `WITH ORDINALITY` and joined with the datoms; the matching datoms come
/// back as a few rows of arrays, one per column (``PostgresArrayCell``),
/// the client putting them in binding order. Each row holds one
/// attribute's datoms: the attribute is one text a row, not one a datom.
/// A request costs a handful of parameters whatever its number of keys.
///
/// The columns of an answer row: the keys' ordinals (NULL for a request
/// without keys), the attribute, then the arrays of the datoms' entities,
/// tags, typed values (integer, double, text, bytes: each only the values
/// of the datoms whose tags keep them there, in order) and transactions
/// (NULL when the request's rows do not carry them), then the row's
/// strays (below; 0 in other rows).
///
/// A scan without keys reads each small attribute of a declared type in
/// a branch of its own (`UNION ALL`, one aggregate row each, no hashing
/// of attribute names): such an attribute's values all have one tag and
/// live in one column, so the branch sends no tags and aggregates only
/// the entities and that column (OHLC's request: 7.5 ms in the server
/// against 3.8). Its row counts the datoms with another tag (strays, which
/// only a store written around Quarry holds); the client reads such an
/// attribute again with the general statement.
struct PostgresScanStatement {
    let query: PostgresQuery
    /// The request's binding of each unnested key (by ordinality, from 1):
    /// a binding whose value no datom can hold in its position (a string
    /// entity) is not sent.
    let bindingOfKey: [Int]
    /// The tag of every datom of each attribute read in a branch of its
    /// own, by the attribute's name: those rows send no tags.
    let typedTags: [String: Int16]

    /// What the source knows of an attribute: from its last description,
    /// and from the last scan that read the attribute whole.
    struct StoredAttribute: Sendable {
        /// Its datoms, when the figures count them.
        var datoms: Int?
        /// The one tag its declared type stores (``PostgresValues/storedTag(of:)``).
        var declaredTag: Int16?
        /// The one tag all its datoms had when last read whole (an
        /// attribute of no declared type).
        var seenTag: Int16?

        /// The tag a branch reads the attribute's datoms with: a guess the
        /// branch's count of strays checks.
        var tag: Int16? { declaredTag ?? seenTag }
    }

    /// Branches of one statement at most; further attributes go to the general one.
    static let maxBranches = 64

    static let columns = "d.e, d.a, d.vt, d.vi, d.vd, d.vs, d.vb, d.tx"
    /// The datoms' arrays of one answer row, after the keys and the
    /// attribute. Each typed value column holds only the values of the
    /// datoms whose tags store their values there, in order (a column of
    /// NULLs cost the server and the client as much as one of values); the
    /// transactions are NULL when the rows do not carry them.
    static func arrays(transactions: Bool) -> String {
        valueArrays + ", " + (transactions ? "array_agg(d.tx)" : "NULL::BIGINT[]")
    }

    /// The entities', tags' and value columns' arrays: the same in every
    /// statement, so written once.
    private static let valueArrays = "array_agg(d.e), array_agg(d.vt), " + PostgresValues.Column.allCases.map { column in
        let tags = Set(ValueTag.allCases.filter { PostgresValues.column($0) == column }.map(PostgresValues.storedTag))
        let list = tags.sorted().map(String.init).joined(separator: ", ")
        return "array_agg(d.\(column.rawValue)) FILTER (WHERE d.vt IN (\(list)))"
    }.joined(separator: ", ")
    /// Rows of the answer hold the datoms of at most so many bindings, and
    /// of entities within so wide a range: each column of a row stays far
    /// below PostgreSQL's limit of 1 GB a value.
    static let bindingsPerRow = 1024, entitiesPerRow = 65536

    /// The statement of `request`, shaped by what the store's last
    /// description says of its attributes (`stored`): a scan without keys
    /// reads small typed attributes in branches of their own (unless
    /// `branches` is false) and groups the rest by attribute alone when
    /// each holds at most ``entitiesPerRow`` datoms. Figures a concurrent
    /// write made stale cost no more than a larger row.
    init(_ request: ScanRequest, stored: [Keyword: StoredAttribute], branches: Bool = true) throws {
        let shape = request.shape
        let positions = shape.parameters.indexes
        var binds = PostgresBindings()
        var sql = ""
        var conditions: [String] = []
        var n = 0
        func next() -> String {
            n += 1
            return "$\(n)"
        }
        var bindingOfKey: [Int] = []
        if !positions.isEmpty {
            // Per position, its values in one array; bindings a position cannot hold are left out.
            var ints: [[Int64]] = Array(repeating: [], count: positions.count)
            var doubles: [[Double]] = Array(repeating: [], count: positions.count)
            var texts: [[String]] = Array(repeating: [], count: positions.count)
            var bytes: [[ByteBuffer]] = Array(repeating: [], count: positions.count)
            let columns = positions.enumerated().map { j, p -> PostgresValues.Column in
                switch p {
                case 0, 3: .vi
                case 1: .vs
                default: PostgresValues.column(shape.parameterKinds[j])
                }
            }
            // Appends binding value `v` at position `j` to its column's array; false when the
            // position cannot hold it (a value of another kind than the request says matches nothing).
            func take(_ v: Value, _ j: Int, _ p: Int) -> Bool {
                if p == 2, PostgresValues.storedTag(v.tag) != PostgresValues.storedTag(shape.parameterKinds[j]) { return false }
                switch (p, columns[j]) {
                case (0, _), (3, _):
                    switch v {
                    case .int(let x), .ref(let x): ints[j].append(x)
                    default: return false
                    }
                case (1, _):
                    guard case .keyword(let k) = v else { return false }
                    texts[j].append(k.text)
                case (_, .vi):
                    guard let x = PostgresValues.integer(v) else { return false }
                    ints[j].append(x)
                case (_, .vd):
                    guard case .double(let d) = v else { return false }
                    doubles[j].append(d)
                case (_, .vs):
                    guard let text = PostgresValues.text(v) else { return false }
                    texts[j].append(text)
                case (_, .vb):
                    guard let b = PostgresValues.bytes(v) else { return false }
                    bytes[j].append(b)
                }
                return true
            }
            // Each binding's values go straight into the arrays (no row of them in between,
            // which cost a fifth of a keyed request's time); a binding left out takes back
            // the values it had put.
            bindings: for (b, binding) in request.bindings.enumerated() {
                for (j, p) in positions.enumerated() where !take(binding[j], j, p) {
                    for k in 0..<j {
                        switch columns[k] {
                        case .vi: ints[k].removeLast()
                        case .vd: doubles[k].removeLast()
                        case .vs: texts[k].removeLast()
                        case .vb: bytes[k].removeLast()
                        }
                    }
                    continue bindings
                }
                bindingOfKey.append(b)
            }
            var arrays: [String] = []
            for (j, column) in columns.enumerated() {
                switch column {
                case .vi: binds.append(ints[j])
                case .vd: binds.append(doubles[j])
                case .vs: binds.append(texts[j])
                case .vb: binds.append(bytes[j])
                }
                arrays.append("\(next())::\(column.sqlType)[]")
            }
            let names = (0..<positions.count).map { "p\($0)" }
            sql = "SELECT k.i, \(Self.columns) FROM unnest(\(arrays.joined(separator: ", "))) WITH ORDINALITY "
                + "AS k(\(names.joined(separator: ", ")), i) JOIN quarry_datoms d ON "
            var on: [String] = []
            for (j, p) in positions.enumerated() {
                switch p {
                case 0: on.append("d.e = k.p\(j)")
                case 1: on.append("d.a = k.p\(j)")
                case 3: on.append("d.tx = k.p\(j)")
                default:
                    binds.append(PostgresValues.storedTag(shape.parameterKinds[j]))
                    let tag = next()
                    switch columns[j] {
                    case .vs: on.append("d.vt = \(tag) AND left(d.vs, 256) = left(k.p\(j), 256) AND d.vs = k.p\(j)")
                    default: on.append("d.vt = \(tag) AND d.\(columns[j].rawValue) = k.p\(j)")
                    }
                }
            }
            sql += on.joined(separator: " AND ")
        }
        // Without keys, the small typed attributes each get a branch (their
        // names its parameters); the rest are read by the general statement.
        var typed: [(name: String, tag: Int16, parameter: String)] = []
        var general = shape.attributes
        if positions.isEmpty, branches {
            general = []
            for a in shape.attributes {
                if typed.count < Self.maxBranches, let known = stored[a], let tag = known.tag,
                   let datoms = known.datoms, datoms <= Self.entitiesPerRow {
                    binds.append(a.text)
                    typed.append((a.text, tag, next()))
                } else {
                    general.append(a)
                }
            }
        }
        if !general.isEmpty {
            binds.append(general.map(\.text))
            conditions.append("d.a = ANY(\(next())::TEXT[])")
        } else if typed.isEmpty, !positions.contains(0) && !positions.contains(1) {
            // Neither entity nor attribute: the store's own entities are left out, as the in-memory store does.
            binds.append(Database.systemEntities.lowerBound)
            let low = next()
            binds.append(Database.systemEntities.upperBound)
            conditions.append("(d.e < \(low) OR d.e >= \(next()))")
        }
        var filter: String?
        if let (condition, values) = Self.filterSQL(shape.filter, first: n + 1) {
            filter = condition
            conditions.append(condition)
            for v in values {
                switch v {
                case .int(let x): binds.append(x)
                case .double(let d): binds.append(d)
                default: break
                }
            }
        }
        // The rows come back folded into arrays, a few thousand bindings' or
        // entities' datoms of one attribute a row: the client reads a handful
        // of rows, not one per datom (each of which costs postgres-nio about
        // 2 µs). A scan without keys leaves the keys out and groups the
        // table itself: OHLC's request spent 22% less in the server than
        // through a constant key column and a derived table. (Reading each
        // attribute in a LATERAL subquery spent 40% less, but Citus runs
        // a correlated subquery only when it correlates on the table's
        // distribution column.)
        let transactions = shape.projection.contains(.tx)
        let arrays = Self.arrays(transactions: transactions)
        if positions.isEmpty {
            var parts = typed.enumerated().map { i, a in
                // PostgreSQL plans several branches as a Parallel Append,
                // whose workers cost more than they save (OHLC's request:
                // 11 ms in the server against 4): `current_schema()`,
                // which it marks parallel-unsafe, keeps the plan serial.
                // Evaluated once, and NULL whatever it answers.
                (i == 0 ? "SELECT CASE WHEN current_schema() IS NULL THEN NULL END::BIGINT[]" : "SELECT NULL::BIGINT[]")
                    + ", \(a.parameter)::TEXT, \(Self.typedArrays(tag: a.tag, transactions: transactions)), "
                    + "count(*) FILTER (WHERE d.vt <> \(a.tag)) FROM quarry_datoms d WHERE d.a = \(a.parameter)"
                    + (filter.map { " AND " + $0 } ?? "")
            }
            if typed.isEmpty || !general.isEmpty {
                var rest = "SELECT NULL::BIGINT[], d.a, \(arrays), 0::BIGINT FROM quarry_datoms d"
                if !conditions.isEmpty { rest += " WHERE " + conditions.joined(separator: " AND ") }
                // Cut by entity range, the groups are too many for PostgreSQL
                // to hash (it sorts the datoms first: OHLC's request spent
                // 14 ms in the server instead of 8.6); when the figures say
                // each attribute is small, there is nothing to cut.
                let small = !general.isEmpty && general.allSatisfy { a in
                    stored[a]?.datoms.map { $0 <= Self.entitiesPerRow } ?? false
                }
                rest += small ? " GROUP BY d.a" : " GROUP BY d.a, d.e / \(Self.entitiesPerRow)"
                parts.append(rest)
            }
            sql = parts.joined(separator: " UNION ALL ")
        } else {
            if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
            sql = "SELECT array_agg(d.i), d.a, \(arrays), 0::BIGINT FROM (\(sql)) AS d(i, e, a, vt, vi, vd, vs, vb, tx) "
                + "GROUP BY d.a, d.i / \(Self.bindingsPerRow), d.e / \(Self.entitiesPerRow)"
        }
        query = PostgresQuery(unsafeSQL: sql, binds: binds)
        self.bindingOfKey = bindingOfKey
        typedTags = Dictionary(typed.map { ($0.name, $0.tag) }, uniquingKeysWith: { first, _ in first })
    }

    /// The arrays of a typed attribute's branch: its entities, no tags, the
    /// values of the one column its tag keeps them in (NULL for the
    /// others), and the transactions when the rows carry them.
    private static func typedArrays(tag: Int16, transactions: Bool) -> String {
        let kept = ValueTag(rawValue: UInt8(tag)).map(PostgresValues.column)
        let values = PostgresValues.Column.allCases.map { column in
            column == kept ? "array_agg(d.\(column.rawValue))" : "NULL::\(column.sqlType)[]"
        }
        return "array_agg(d.e), NULL::SMALLINT[], " + values.joined(separator: ", ") + ", "
            + (transactions ? "array_agg(d.tx)" : "NULL::BIGINT[]")
    }

    /// The condition PostgreSQL evaluates for a value filter, with its
    /// parameters numbered from `first`: numbers and instants by their
    /// tags and typed columns, each column compared with a bound of its
    /// own type widened outwards (a bigint compared with a double would be
    /// rounded), so that it keeps every row the filter admits; rows are
    /// checked against the filter as they are read. Nil for no filter or
    /// one PostgreSQL would order otherwise (strings: collations).
    static func filterSQL(_ filter: ScanFilter, first: Int) -> (String, [Value])? {
        let ends = [filter.lower.map { ($0.value, true) }, filter.upper.map { ($0.value, false) }].compactMap { $0 }
        guard !ends.isEmpty else { return nil }
        func domain(_ v: Value) -> Int? {
            switch v {
            case .int, .ref: 0
            case .double(let d): d.isNaN ? nil : 0
            case .instant: 1
            default: nil
            }
        }
        let domains = ends.map { domain($0.0) }
        guard let d = domains[0], domains.allSatisfy({ $0 == d }) else {
            return domains.allSatisfy({ $0 != nil }) ? ("FALSE", []) : nil
        }
        var n = first
        var values: [Value] = []
        func param(_ v: Value) -> String {
            values.append(v)
            defer { n += 1 }
            return "$\(n)"
        }
        if d == 1 {
            values = []
            var sql = "d.vt = \(ValueTag.instant.rawValue)"
            for (v, lower) in ends {
                guard case .instant(let t) = v else { continue }
                sql += " AND d.vi \(lower ? ">=" : "<=") \(param(.int(t.millisecondsSinceEpoch)))"
            }
            return (sql, values)
        }
        var onInts: [String] = [], onDoubles: [String] = []
        for (v, lower) in ends {
            let (i, f): (Int64, Double) = switch v {
            case .int(let x), .ref(let x): (x, lower ? Double(x).nextDown : Double(x).nextUp)
            case .double(let x): (Self.integer(lower ? x.rounded(.down) : x.rounded(.up)), x)
            default: (0, 0)
            }
            onInts.append("d.vi \(lower ? ">=" : "<=") \(param(.int(i)))")
            onDoubles.append("d.vd \(lower ? ">=" : "<=") \(param(.double(f)))")
        }
        let sql = "((d.vt = \(ValueTag.int.rawValue) AND \(onInts.joined(separator: " AND "))) OR "
            + "(d.vt = \(ValueTag.double.rawValue) AND \(onDoubles.joined(separator: " AND "))))"
        return (sql, values)
    }

    /// A whole double as an Int64, saturating past the type's range.
    private static func integer(_ d: Double) -> Int64 {
        if d >= 9_223_372_036_854_775_808.0 { return .max }
        if d < -9_223_372_036_854_775_808.0 { return .min }
        return Int64(d)
    }
}
#endif
