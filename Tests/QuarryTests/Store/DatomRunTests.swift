import Testing
@_spi(Core) @testable import Quarry

/// The persistent runs of sorted chunks an attribute's datoms live in,
/// against a sorted array, over enough datoms for many chunks.
@Suite struct DatomRunTests {
    private static func datom(_ e: Int64, _ v: UInt64, tag: ValueTag = .int) -> Datom {
        Datom(e: e, v: v, tx: Database.firstTx, a: 7, vTag: tag.rawValue)
    }

    private static func contents(_ run: DatomRun) -> [Datom] {
        var out: [Datom] = []
        run.forEach(0..<run.count) { out.append($0) }
        return out
    }

    /// What names a datom within one attribute.
    private struct Key: Hashable {
        var e: Int64, v: UInt64, tag: UInt8
        init(_ d: Datom) { (e, v, tag) = (d.e, d.v, d.vTag) }
    }

    @Test(arguments: [DatomRun.Order.entity, .value])
    func updatesAgreeWithASortedArrayAndLeaveTheOldRunAsItWas(order: DatomRun.Order) throws {
        let random = QueryRandom(seed: 26)
        func draw(_ n: UInt64) -> UInt64 { random.next() % n }
        var model: [Datom] = []
        var run = DatomRun(order: order)
        var history: [(DatomRun, [Datom])] = []
        for round in 0..<60 {
            // Batches from one datom to thousands, adds and removals, in bursts that fill and empty chunks.
            let size = [1, 3, 40, 700, 3000][Int(draw(5))]
            var adds: [Datom] = [], removes: [Datom] = []
            for _ in 0..<size {
                if !model.isEmpty, draw(3) == 0 || round % 10 == 9 {
                    removes.append(model[Int(draw(UInt64(model.count)))])
                } else {
                    adds.append(Self.datom(Int64(draw(20_000)), draw(50), tag: draw(4) == 0 ? .string : .int))
                }
            }
            let less = { (x: Datom, y: Datom) in DatomRun.less(x, y, order) }
            // As the transactor gives them: each once, none added that is held, sorted.
            var held = Set(model.map(Key.init)), seen = Set<Key>()
            removes = removes.filter { seen.insert(Key($0)).inserted }.sorted(by: less)
            adds = adds.filter { !held.contains(Key($0)) && seen.insert(Key($0)).inserted }.sorted(by: less)
            let next = try run.updated(adding: adds, removing: removes)
            for d in removes { held.remove(Key(d)) }
            model = (model.filter { held.contains(Key($0)) } + adds).sorted(by: less)
            let agrees = Self.contents(next) == model
            #expect(agrees, "round \(round): \(next.count) datoms held, \(model.count) expected")
            #expect(next.count == model.count)
            history.append((run, Self.contents(run)))
            run = next
        }
        // Every older run still holds what it held.
        for (old, held) in history { #expect(Self.contents(old) == held) }
        // Chunks stay bounded, and ranges of keys are the model's.
        #expect(run.chunks.allSatisfy { $0.count <= 2 * DatomRun.chunkSize && $0.count > 0 })
        for _ in 0..<300 {
            let e = Int64(draw(20_000)), v = EncodedValue(word: draw(50), tag: draw(4) == 0 ? .string : .int)
            // The keys that are prefixes of the order.
            let keys = order == .entity ? [DatomRun.Key(e: e), DatomRun.Key(e: e, v: v)] : [DatomRun.Key(v: v), DatomRun.Key(e: e, v: v)]
            for key in keys {
                let expected = model.filter { key.compare($0, order) == 0 }
                var found: [Datom] = []
                run.forEach(run.range(key)) { found.append($0) }
                let agrees = found == expected
                #expect(agrees, "key \(key): \(found.count) found, \(expected.count) expected")
            }
        }
    }

    @Test func theEntitySeekerFindsEntitiesRisingFallingAndMissing() throws {
        let random = QueryRandom(seed: 7)
        var datoms: [Datom] = []
        // Entities with 0 to 3 values, some with a long run of values that spans chunks.
        for e in stride(from: Int64(0), to: 30_000, by: 3) {
            let values = e % 999 == 0 ? 1500 : Int(random.next() % 4)
            for v in 0..<values { datoms.append(Self.datom(e, UInt64(v))) }
        }
        let run = try datoms.withUnsafeBufferPointer { try DatomRun(order: .entity, sorted: $0) }
        var seeker = DatomRun.EntitySeeker(run), locator = DatomRun.EntitySeeker(run)
        var probes = (0..<2000).map { _ in Int64(random.next() % 31_000) }
        probes += probes.sorted() + [-5, 0, 0, 29_997, 29_997, 40_000]
        let byEntity = Dictionary(grouping: datoms, by: \.e)
        for e in probes {
            let expected = byEntity[e] ?? []
            var found: [Datom] = []
            run.forEach(seeker.range(of: e)) { found.append($0) }
            #expect(found == expected, "entity \(e)")
            // The part in the first chunk, read in place, then the rest by position.
            let (first, position, rest) = locator.locate(e)
            var located = Array(first)
            run.forEach(rest) { located.append($0) }
            #expect(located == expected, "entity \(e), located")
            if let head = expected.first { #expect(run.datom(at: position) == head, "entity \(e)'s position") }
        }
    }

    @Test func extremeEntityIdsAreFoundAndGuessedSafely() throws {
        // Ids at both ends of Int64, and spans whose differences overflow.
        var ids: [Int64] = [.min, .min + 1, -1, 0, 1, 2, 1 << 62, .max - 1, .max]
        ids += (0..<3000).map { Int64($0) * 3_074_457_345_618_258 }
        ids = Array(Set(ids)).sorted()
        let datoms = ids.map { Self.datom($0, 1) }
        let run = try datoms.withUnsafeBufferPointer { try DatomRun(order: .entity, sorted: $0) }
        var seeker = DatomRun.EntitySeeker(run)
        let probes: [Int64] = ids + [.min, .max, -5, 3, (1 << 62) + 1] + ids.reversed()
        for e in probes {
            seeker.prefetch(e)
            var found: [Int64] = []
            run.forEach(seeker.range(of: e)) { found.append($0.e) }
            #expect(found == (ids.contains(e) ? [e] : []), "entity \(e)")
        }
    }

    /// Databases transacted one step at a time hold what a database built
    /// at once from the same datoms holds, for every kind of lookup, and
    /// every older value keeps its answers.
    @Test func transactedDatabasesIndexAsBuiltOnes() throws {
        let random = QueryRandom(seed: 260)
        func draw(_ n: UInt64) -> Int64 { Int64(random.next() % n) }
        let schema = try EDNReader.readOne("""
            [{:db/ident :tag :db/cardinality :db.cardinality/many}
             {:db/ident :friend :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}
             {:db/ident :code :db/unique :db.unique/identity}]
            """)
        var db = try Database().transact(schema)
        var versions: [(Database, [String])] = []
        for step in 0..<40 {
            var forms: [String] = []
            for _ in 0..<(step % 7 == 0 ? 1500 : 1 + Int(draw(30))) {
                let e = 1 + draw(3000)
                switch draw(8) {
                case 0: forms.append("[:db/retract \(e) :age \(draw(60))]")
                case 1: forms.append("[:db/retractEntity \(e)]")
                case 2: forms.append("[:db/add \(e) :tag :t\(draw(40))]")
                case 3: forms.append("[:db/add \(e) :friend \(1 + draw(3000))]")
                case 4: forms.append("[:db/add \(e) :name \"n\(draw(500))\"]")
                default: forms.append("[:db/add \(e) :age \(draw(60))]")
                }
            }
            db = try db.transact(EDNReader.readOne("[" + forms.joined(separator: " ") + "]"))
            versions.append((db, Self.answers(db)))
            let rebuilt = try Self.rebuilt(db)
            #expect(Self.answers(rebuilt) == versions.last!.1, "step \(step)")
            // The order and the count a transaction keeps up to date are those built from scratch.
            #expect(db.orderedIndexes.map(\.id) == rebuilt.orderedIndexes.map(\.id) && db.count == rebuilt.count)
            for a in db.orderedIndexes {
                let s = a.stats, t = rebuilt.attributeIndexes[a.id]?.stats
                #expect(s.count == t?.count && s.distinctEntities == t?.distinctEntities && s.distinctValues == t?.distinctValues,
                        "figures of \(db.ident(a.id)) at step \(step)")
            }
        }
        for (old, answers) in versions { #expect(Self.answers(old) == answers) }
    }

    @Test func anAttributeWhoseLastDatomGoesLeavesTheOrder() throws {
        let db = try Database().transact(EDNReader.readOne("[[:db/add 1 :a 1] [:db/add 1 :b 2] [:db/add 2 :c 3]]"))
        let ids = { (d: Database) in d.orderedIndexes.map { d.ident($0.id).text } }
        #expect(ids(db).contains("b"))
        let after = try db.transact(EDNReader.readOne("[[:db/retract 1 :b 2] [:db/add 3 :aa 4]]"))
        #expect(!ids(after).contains("b") && ids(after).contains("aa"))
        #expect(after.orderedIndexes.map(\.id) == after.orderedIndexes.map(\.id).sorted())
        #expect(after.count == db.count - 1 + 2)  // one datom gone; one added, and the transaction's instant
        #expect(try after.query("[:find ?v :where [_ :b ?v]]").rows.isEmpty)
    }

    /// The database's datoms, indexed from scratch.
    private static func rebuilt(_ db: Database) throws -> Database {
        let all = CoreVector<Datom>()
        for index in db.orderedIndexes { try index.byEntity.forEach(0..<index.count) { try all.append($0) } }
        return try Database(interner: db.interner, schema: db.schema, datoms: all, maxEntity: db.maxEntity, nextTx: db.nextTx)
    }

    /// What lookups of every kind find, as text: by entity, entity and
    /// attribute, attribute, attribute and value, value alone, and counts.
    private static func answers(_ db: Database) -> [String] {
        var out: [String] = []
        func record(_ f: DatomFilter) {
            var found: [String] = []
            db.scan(f) { found.append("\($0.e) \($0.a) \($0.vTag):\($0.v) \($0.tx)") }
            out.append(found.sorted().joined(separator: ",") + " #\(db.rangeCount(f))")
        }
        let attributes = db.orderedIndexes.map(\.id)
        for e in stride(from: Int64(0), through: 3001, by: 97) {
            record(DatomFilter(e: e))
            for a in attributes { record(DatomFilter(e: e, a: a)) }
            record(DatomFilter(v: EncodedValue(word: UInt64(e), tag: .int)))
        }
        for a in attributes {
            record(DatomFilter(a: a))
            for v in stride(from: UInt64(0), to: 60, by: 7) { record(DatomFilter(a: a, v: EncodedValue(word: v, tag: .int))) }
        }
        record(DatomFilter())
        return out
    }
}
