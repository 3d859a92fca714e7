import Quarry

/// The suite's checks. Each sends requests to the source and to the
/// in-memory store holding the same data, and compares the answers.
enum ConformanceChecks {
    struct Check: Sendable {
        let name: String
        let run: @Sendable (inout Context) async throws -> Void
    }

    /// What a check works with, and the failures it records.
    struct Context {
        let source: any DatomSource
        let reference: Database
        let makeSource: SourceConformance.MakeSource
        var failures: [String] = []
        /// Transactions the source gave each fact so far: one fact, one transaction.
        var txs: [ComparedRows.Fact: Int64] = [:]

        mutating func fail(_ message: String) { failures.append(message) }

        /// Sends `request` to the source (through `session` if given) and
        /// to the reference, and records how the answers differ.
        mutating func compare(_ request: ScanRequest, through session: (any DatomReadSession)? = nil,
                              _ label: String) async throws {
            let rows = if let session {
                try await session.scan(request, account: nil)
            } else {
                try await source.scan(request, account: nil)
            }
            let got = ComparedRows(rows, of: request)
            let want = ComparedRows(try await reference.scan(request, account: nil), of: request)
            for p in got.problems.prefix(3) { fail("\(label) (\(request)): \(p)") }
            if let d = got.difference(from: want) { fail("\(label) (\(request)): \(d)") }
            for (fact, tx) in got.txs {
                if let seen = txs[fact], seen != tx {
                    fail("\(label): \(fact) came with transaction \(tx), earlier with \(seen)")
                }
                txs[fact] = tx
            }
        }
    }

    static let all: [Check] = [
        Check(name: "describe", run: describe),
        Check(name: "whole attributes", run: wholeAttributes),
        Check(name: "by entity", run: byEntity),
        Check(name: "by value", run: byValue),
        Check(name: "by entity and value", run: byEntityAndValue),
        Check(name: "every attribute", run: everyAttribute),
        Check(name: "several attributes", run: severalAttributes),
        Check(name: "filters", run: filters),
        Check(name: "binding order", run: bindingOrder),
        Check(name: "many keys", run: manyKeys),
        Check(name: "no matches", run: noMatches),
        Check(name: "read sessions", run: readSessions),
        Check(name: "writes and sessions", run: writesAndSessions),
        Check(name: "concurrent scans", run: concurrentScans),
    ]

    static let userAttributes = ["person/name", "person/friend", "person/tag", "person/age", "person/score",
                                 "person/born", "person/active", "person/id", "person/note"].map { Keyword($0) }

    static func shape(_ attributes: [Keyword], _ parameters: PositionSet = [], kinds: [ValueTag] = [],
                      projection: PositionSet = [], filter: ScanFilter = ScanFilter()) -> ScanShape {
        ScanShape(source: "conformance", attributes: attributes, parameters: parameters, parameterKinds: kinds,
                  projection: projection, filter: filter)
    }

    /// Every entity of the data, then some that are not in it.
    static var entities: [Value] {
        (1...Int64(ConformanceData.people)).map(Value.int) + [.int(ConformanceData.farEntity), .int(0), .int(-1),
                                                                .int(Int64(ConformanceData.people) + 1), .int(.max)]
    }

    /// The values of `attribute` in the data, by kind.
    static func values(of attribute: Keyword, in db: Database) async throws -> [ValueTag: [Value]] {
        let rows = try await db.scan(ScanRequest(shape: shape([attribute]), bindings: [[]]), account: nil)
        var out: [ValueTag: Set<Value>] = [:]
        for i in 0..<rows.count {
            guard let v = rows.row(i).v.map(ComparedRows.normal) else { continue }
            out[v.tag, default: []].insert(v)
        }
        return out.mapValues { Array($0) }
    }

    // MARK: The checks

    static func describe(_ c: inout Context) async throws {
        let got = try await c.source.describe(), want = try await c.reference.describe()
        let attributes = Dictionary(got.attributes.map { ($0.ident, $0) }, uniquingKeysWith: { a, _ in a })
        for a in want.attributes where userAttributes.contains(a.ident) {
            guard let mine = attributes[a.ident] else {
                c.fail("the schema lacks \(a.ident)")
                continue
            }
            if mine != a { c.fail("\(a.ident) is described as \(mine), not \(a)") }
        }
        for a in userAttributes {
            if got.figures[a] != want.figures[a] {
                c.fail("figures of \(a): \(String(describing: got.figures[a])), expected \(String(describing: want.figures[a]))")
            }
        }
        if got.maxEntity < ConformanceData.farEntity {
            c.fail("the largest entity is given as \(got.maxEntity), below \(ConformanceData.farEntity)")
        }
    }

    static func wholeAttributes(_ c: inout Context) async throws {
        for a in userAttributes {
            try await c.compare(ScanRequest(shape: shape([a]), bindings: [[]]), "\(a) whole")
            try await c.compare(ScanRequest(shape: shape([a], projection: [.tx]), bindings: [[]]), "\(a) whole with tx")
        }
    }

    static func byEntity(_ c: inout Context) async throws {
        for a in userAttributes {
            let bindings = entities.map { [$0] }
            try await c.compare(ScanRequest(shape: shape([a], [.e], kinds: [.int]), bindings: bindings), "\(a) by entity")
            try await c.compare(ScanRequest(shape: shape([a], [.e], kinds: [.int], projection: [.tx]), bindings: bindings),
                                "\(a) by entity with tx")
        }
    }

    static func byValue(_ c: inout Context) async throws {
        for a in userAttributes {
            for (kind, values) in try await values(of: a, in: c.reference) {
                let absent: [Value] = switch kind {
                case .int: [.int(123_456_789)]
                case .string: [.string("nobody")]
                default: []
                }
                let request = ScanRequest(shape: shape([a], [.v], kinds: [kind]), bindings: (values + absent).map { [$0] })
                try await c.compare(request, "\(a) by \(kind) value")
            }
        }
    }

    static func byEntityAndValue(_ c: inout Context) async throws {
        for a in [Keyword("person/friend"), Keyword("person/tag"), Keyword("person/age")] {
            let rows = try await c.reference.scan(ScanRequest(shape: shape([a]), bindings: [[]]), account: nil)
            var byKind: [ValueTag: [[Value]]] = [:]
            for i in 0..<rows.count {
                let r = rows.row(i)
                guard let e = r.e, let v = r.v.map(ComparedRows.normal) else { continue }
                byKind[v.tag, default: []].append([.int(e), v])
                // The value on another entity: no datom.
                byKind[v.tag, default: []].append([.int(e + 1000), v])
            }
            for (kind, bindings) in byKind {
                try await c.compare(ScanRequest(shape: shape([a], [.e, .v], kinds: [.int, kind]), bindings: bindings),
                                    "\(a) by entity and value")
            }
        }
    }

    static func everyAttribute(_ c: inout Context) async throws {
        try await c.compare(ScanRequest(shape: shape([], [.e], kinds: [.int]), bindings: entities.map { [$0] }),
                            "every attribute by entity")
        // References point back: the entities that name each one.
        try await c.compare(ScanRequest(shape: shape([], [.v], kinds: [.int]), bindings: entities.map { [$0] }),
                            "every attribute by value")
    }

    static func severalAttributes(_ c: inout Context) async throws {
        let attributes = [Keyword("person/friend"), Keyword("person/tag"), Keyword("person/age"), Keyword("person/note")]
        try await c.compare(ScanRequest(shape: shape(attributes, [.e], kinds: [.int]), bindings: entities.map { [$0] }),
                            "several attributes by entity")
        try await c.compare(ScanRequest(shape: shape(attributes), bindings: [[]]), "several attributes whole")
    }

    static func filters(_ c: inout Context) async throws {
        func bound(_ v: Value, _ inclusive: Bool) -> ScanFilter.Bound { .init(v, inclusive: inclusive) }
        let cases: [(Keyword, ScanFilter)] = [
            (Keyword("person/age"), ScanFilter(lower: bound(.int(0), true))),
            (Keyword("person/age"), ScanFilter(lower: bound(.int(0), false), upper: bound(.int(42), true))),
            (Keyword("person/age"), ScanFilter(lower: bound(.double(9007199254740992.0), false))),
            (Keyword("person/age"), ScanFilter(upper: bound(.double(-0.5), true))),
            (Keyword("person/score"), ScanFilter(lower: bound(.int(0), true), upper: bound(.int(42), true))),
            (Keyword("person/score"), ScanFilter(lower: bound(.double(-.infinity), false))),
            (Keyword("person/score"), ScanFilter(upper: bound(.double(.infinity), true))),
            (Keyword("person/born"), ScanFilter(lower: bound(.instant(Instant(millisecondsSinceEpoch: 0)), true))),
            (Keyword("person/born"), ScanFilter(upper: bound(.int(0), true))),
            (Keyword("person/note"), ScanFilter(lower: bound(.string("a"), true))),
            (Keyword("person/name"), ScanFilter(lower: bound(.string("person-2"), false), upper: bound(.string("person-3"), true))),
            (Keyword("person/active"), ScanFilter(lower: bound(.int(0), true))),
        ]
        for (a, filter) in cases {
            try await c.compare(ScanRequest(shape: shape([a], filter: filter), bindings: [[]]), "\(a) where v \(filter)")
            try await c.compare(ScanRequest(shape: shape([a], [.e], kinds: [.int], filter: filter),
                                            bindings: entities.map { [$0] }), "\(a) by entity where v \(filter)")
        }
    }

    static func bindingOrder(_ c: inout Context) async throws {
        // Bindings in no particular order: the rows still come grouped by binding, ascending.
        var shuffled = entities
        var state: UInt64 = 7
        for i in stride(from: shuffled.count - 1, to: 0, by: -1) {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            shuffled.swapAt(i, Int((state >> 33) % UInt64(i + 1)))
        }
        try await c.compare(ScanRequest(shape: shape([Keyword("person/friend")], [.e], kinds: [.int]),
                                        bindings: shuffled.map { [$0] }), "friends by shuffled entities")
    }

    static func manyKeys(_ c: inout Context) async throws {
        let n = min(c.source.maxKeysPerRequest ?? 5_000, 5_000)
        let bindings = (0..<n).map { [Value.int(Int64($0 * 3 - 50))] }
        try await c.compare(ScanRequest(shape: shape([Keyword("person/age")], [.e], kinds: [.int]), bindings: bindings),
                            "\(n) entities in one request")
    }

    static func noMatches(_ c: inout Context) async throws {
        try await c.compare(ScanRequest(shape: shape([Keyword("person/age")], [.e], kinds: [.int]), bindings: []),
                            "no bindings")
        try await c.compare(ScanRequest(shape: shape([Keyword("nobody/here")]), bindings: [[]]), "an attribute nobody has")
        // Values of a kind the position never holds: no rows, and no error.
        try await c.compare(ScanRequest(shape: shape([Keyword("person/age")], [.e], kinds: [.string]),
                                        bindings: [[.string("1")]]), "an entity given as a string")
        try await c.compare(ScanRequest(shape: shape([Keyword("person/age")], [.v], kinds: [.double]),
                                        bindings: [[.double(42)]]), "42.0 where 42 is held")
    }

    static func readSessions(_ c: inout Context) async throws {
        let session = try await c.source.openReadSession()
        let first = session.snapshot
        try await c.compare(ScanRequest(shape: shape([Keyword("person/friend")]), bindings: [[]]), through: session,
                            "friends through a session")
        try await c.compare(ScanRequest(shape: shape([], [.e], kinds: [.int]), bindings: entities.map { [$0] }),
                            through: session, "every attribute by entity through a session")
        if session.snapshot != first { c.fail("a session's snapshot changed from \(String(describing: first))") }
        // Sessions at once, each its own.
        let others = [try await c.source.openReadSession(), try await c.source.openReadSession()]
        if first != nil, others.contains(where: { $0.snapshot != first }) {
            c.fail("sessions opened with no write between them read different snapshots")
        }
        for s in others { await s.close() }
        await session.close()
    }

    static func writesAndSessions(_ c: inout Context) async throws {
        // A store of its own, since the check writes.
        let data = try EDNReader.readOne(ConformanceData.transaction)
        guard let source = try await c.makeSource(data) as? any WritableDatomSource else { return }
        let before = try await source.openReadSession()
        let request = ScanRequest(shape: shape([Keyword("person/age")], [.e], kinds: [.int]), bindings: [[.int(1)], [.int(2)]])
        let old = ComparedRows(try await before.scan(request, account: nil), of: request)
        // Entity 2's age is -1 (ConformanceData.ages).
        _ = try await source.transact(try EDNReader.readOne("[[:db/add 1 :person/age 1000] [:db/retract 2 :person/age -1]]"))
        let after = try await source.openReadSession()
        let new = ComparedRows(try await after.scan(request, account: nil), of: request)
        let written: [Int: [ComparedRows.Fact: Int]] = [0: [.init(e: 1, a: Keyword("person/age"), v: .int(1000)): 1]]
        if new.facts != written {
            c.fail("after a write, a new session reads \(new.facts), expected \(written)")
        }
        if let b = before.snapshot {
            let still = ComparedRows(try await before.scan(request, account: nil), of: request)
            if still != old { c.fail("a session opened before a write reads it: \(still.facts), was \(old.facts)") }
            if let a = after.snapshot, a <= b { c.fail("the snapshot after a write is \(a), not above \(b)") }
            if after.snapshot == nil { c.fail("a session after a write has no snapshot, one before had") }
        }
        await before.close()
        await after.close()
    }

    static func concurrentScans(_ c: inout Context) async throws {
        let source = c.source, reference = c.reference
        let requests = userAttributes.flatMap { a in
            [ScanRequest(shape: shape([a]), bindings: [[]]),
             ScanRequest(shape: shape([a], [.e], kinds: [.int]), bindings: entities.map { [$0] })]
        }
        let mismatches = try await withThrowingTaskGroup(of: String?.self) { group in
            for request in requests {
                group.addTask {
                    let got = ComparedRows(try await source.scan(request, account: nil), of: request)
                    let want = ComparedRows(try await reference.scan(request, account: nil), of: request)
                    return got.difference(from: want).map { "\(request), at once with \(requests.count - 1) others: \($0)" }
                }
            }
            var out: [String] = []
            for try await m in group { if let m { out.append(m) } }
            return out
        }
        for m in mismatches { c.fail(m) }
    }
}
