import Foundation
import Quarry
import Testing

/// A Distinct whose kept columns hold a key its input promises removes
/// nothing and remembers nothing; where no key is promised (a blank, an
/// attribute holding two values for an entity, a projection that drops
/// the key) it still removes the repeats.
@Suite struct UniqueKeyTests {
    private static let schema = """
        [{:db/ident :order/customer :db/valueType :db.type/ref} {:db/ident :tag :db/cardinality :db.cardinality/many}]
        """

    private func database() throws -> Database {
        try Database().transact(EDNReader.readOne(Self.schema)).transact(EDNReader.readOne("""
            [[:db/add 1 :name "Ann"] [:db/add 2 :name "Ann"] [:db/add 3 :name "Bo"]
             [:db/add 1 :region :north] [:db/add 2 :region :north] [:db/add 3 :region :south]
             [:db/add 10 :order/customer 1] [:db/add 11 :order/customer 1] [:db/add 12 :order/customer 3]
             [:db/add 10 :amount 5] [:db/add 11 :amount 5] [:db/add 12 :amount 7]
             [:db/add 1 :tag :a] [:db/add 1 :tag :b] [:db/add 2 :tag :a]]
            """))
    }

    private func run(_ db: Database, _ query: String) throws -> (rows: Set<[Value]>, count: Int, plan: String) {
        let result = try db.query(query, options: QueryOptions(analyze: true))
        return (Set(result.rows), result.rows.count, result.plan)
    }

    @Test func keyedRowsSkipTheTable() throws {
        let db = try database()
        let r = try run(db, "[:find ?o ?r :where [?o :order/customer ?c] [?c :region ?r]]")
        #expect(r.rows == [[.int(10), .keyword(Keyword("north"))], [.int(11), .keyword(Keyword("north"))],
                           [.int(12), .keyword(Keyword("south"))]] && r.count == 3)
        #expect(r.plan.contains("distinct already (key [?o])"))
        let all = try run(db, "[:find ?e ?n :where [?e :name ?n]]")
        #expect(all.count == 3 && all.plan.contains("distinct already"))
    }

    /// Repeats that come together (the bars of one hour, projected to the
    /// hour) are dropped before the table, also where a run of them spans
    /// two batches; repeats that come apart still meet the table.
    @Test func adjacentRepeatsAcrossBatchesAreRemoved() throws {
        var data = "["
        for b in 0..<3_000 { data += "[:db/add \(100 + b) :hour \(b / 7)] [:db/add \(100 + b) :half \(b % 2)]" }
        let db = try Database().transact(EDNReader.readOne(data + "]"))
        let hours = try run(db, "[:find ?h :where [?b :hour ?h]]")
        #expect(hours.count == 429 && hours.rows == Set((0..<429).map { [Value.int(Int64($0))] }))
        let both = try run(db, "[:find ?h ?x :where [?b :hour ?h] [?b :half ?x]]")
        #expect(both.count == 3_000 / 7 * 2 + 2 && both.rows.count == both.count)
        let halves = try run(db, "[:find ?x :where [?b :hour ?h] [?b :half ?x]]")
        #expect(halves.count == 2 && halves.rows == [[.int(0)], [.int(1)]])
    }

    /// An entity lookup that adds the tx, the value or neither gives the
    /// datoms a scan of the attribute gives (each row written in the walk).
    @Test func entityLookupsGiveTheScansDatoms() throws {
        let db = try database()
        let scanned = try run(db, "[:find ?e ?r ?tx :where [?e :region ?r ?tx]]").rows
        let looked = try run(db, "[:find ?e ?r ?tx :where [?e :name _] [?e :region ?r ?tx]]").rows
        #expect(looked == scanned && scanned.count == 3)
        let txOnly = try run(db, "[:find ?e ?tx :where [?e :name _] [?e :region _ ?tx]]").rows
        #expect(txOnly == Set(scanned.map { [$0[0], $0[2]] }))
        let checked = try run(db, "[:find ?e :where [?e :name _] [?e :region :north]]").rows
        #expect(checked == [[.int(1)], [.int(2)]])
        let many = try run(db, "[:find ?e ?t :where [?e :name _] [?e :tag ?t]]").rows
        #expect(many.count == 3)
    }

    @Test func repeatsAreStillRemovedWhereNoKeyIsKept() throws {
        let db = try database()
        // The key ?e is projected away: two Anns are one row.
        let names = try run(db, "[:find ?n :where [?e :name ?n]]")
        #expect(names.count == 2 && !names.plan.contains("distinct already"))
        // A blank hides the value that told the datoms apart.
        let tagged = try run(db, "[:find ?e :where [?e :tag _]]")
        #expect(tagged.rows == [[.int(1)], [.int(2)]] && tagged.count == 2)
        // Patterns that leave out the value (and the tx) hide it as a blank does.
        let short = try run(db, "[:find ?e :where [?e :tag]]")
        #expect(short.rows == [[.int(1)], [.int(2)]] && short.count == 2)
        let shortName = try run(db, "[:find ?e ?n :where [?e :name ?n] [?e :region]]")
        #expect(shortName.count == 3)
        // Many values per entity: the entity alone is no key.
        let tags = try run(db, "[:find ?e :where [?e :tag ?t]]")
        #expect(tags.count == 2)
        // Orders share an amount: the customers' amounts repeat.
        let amounts = try run(db, "[:find ?c ?a :where [?o :order/customer ?c] [?o :amount ?a]]")
        #expect(amounts.count == 2)
    }

    @Test func anAttributeHoldingTwoValuesForAnEntityIsNoKey() throws {
        // Datoms as given (init-db): cardinality one, yet entity 1 holds two ages.
        let age = Keyword("age")
        let db = try Database(datoms: [SourceDatom(e: 1, a: age, v: .int(30), tx: Database.firstTx),
                                       SourceDatom(e: 1, a: age, v: .int(31), tx: Database.firstTx),
                                       SourceDatom(e: 2, a: age, v: .int(30), tx: Database.firstTx)])
        let r = try run(db, "[:find ?e :where [?e :age ?a]]")
        #expect(r.rows == [[.int(1)], [.int(2)]] && r.count == 2)
        let ages = try run(db, "[:find ?e (count ?a) :where [?e :age ?a]]")
        #expect(ages.rows == [[.int(1), .int(2)], [.int(2), .int(1)]])
    }
}
