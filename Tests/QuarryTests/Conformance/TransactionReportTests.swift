import Foundation
import Quarry
import Testing

/// What a transaction reports, the transaction entity, and the schema as
/// datoms.
@Suite struct TransactionReportTests {
    static let schema = """
        [{:db/ident :person/email :db/valueType :db.type/string :db/unique :db.unique/identity}
         {:db/ident :person/friend :db/valueType :db.type/ref :db/cardinality :db.cardinality/many :db/doc "who they know"}]
        """
    static let when = Instant(millisecondsSinceEpoch: 1_700_000_000_000)

    private func edn(_ text: String) throws -> EDN { try EDNReader.readOne(text) }

    @Test func reportsTempidsAndDatoms() throws {
        let before = try Database.load(edn: Self.schema)
        let report = try before.transactReport(
            edn(#"[{:db/id -1 :person/email "a@x" :age 3} {:db/id "bo" :person/email "b@x" :person/friend -1}]"#), at: Self.when)
        let last = try before.query("[:find (max ?tx) . :where [?tx :db/txInstant]]").rows[0][0].int
        #expect(report.tx == last.map { $0 + 1 })
        let ann = try #require(report.tempids[.int(-1)]), bo = try #require(report.tempids[.string("bo")])
        #expect(ann != bo && report.tempids[.string("datomic.tx")] == report.tx)
        let added = Set(report.txData.filter(\.added).map { "\($0.entity) \($0.attribute) \(EDNWriter.write($0.value))" })
        #expect(added == ["\(ann) :person/email \"a@x\"", "\(ann) :age 3", "\(bo) :person/email \"b@x\"",
                          "\(bo) :person/friend \(ann)", "\(report.tx) :db/txInstant #inst \"\(Self.when)\""])
        #expect(report.txData.allSatisfy { $0.added && $0.tx == report.tx })
        #expect(try report.dbBefore.query("[:find ?e :where [?e :age]]").rows.isEmpty)
        #expect(try report.dbAfter.query("[:find ?e . :where [?e :age 3]]").rows == [[.int(ann)]])
    }

    @Test func reportsRetractions() throws {
        let db = try Database.load(edn: #"[{:db/ident :r :db/valueType :db.type/ref} {:db/id 1 :a 1 :b "x"} {:db/id 2 :r 1}]"#)
        let replaced = try db.transactReport(edn("[[:db/add 1 :a 2]]"), at: Self.when)
        let changes = replaced.txData.filter { $0.attribute == Keyword("a") }.map { ($0.value, $0.added) }
        #expect(changes.map(\.0) == [.int(1), .int(2)] && changes.map(\.1) == [false, true])
        let retracted = try db.transactReport(edn("[[:db/retractEntity 1]]"), at: Self.when)
        let gone = Set(retracted.txData.filter { !$0.added }.map { "\($0.entity) \($0.attribute)" })
        #expect(gone == ["1 :a", "1 :b", "2 :r"])
        let same = try db.transactReport(edn("[[:db/add 1 :a 1]]"), at: Self.when)
        #expect(same.txData.map(\.attribute) == [Keyword("db/txInstant")])
    }

    @Test func everyTransactionIsAnEntity() throws {
        var db = try Database.load(edn: "[{:db/id 1 :n 1}]")
        db = try db.transactReport(edn("[[:db/add 1 :n 2]]"), at: Self.when).dbAfter
        db = try db.transactReport(edn(#"[[:db/add 1 :n 3] [:db/add "datomic.tx" :db/txInstant #inst "2001-01-01T00:00:00.000Z"] [:db/add :db/current-tx :tx/note "fix"]]"#)).dbAfter
        let txs = try db.query("[:find ?tx ?t :where [?tx :db/txInstant ?t]]").rows
        #expect(txs.count == 3)
        #expect(Set(txs.map { $0[0] }) == [.int(Database.firstTx), .int(Database.firstTx + 1), .int(Database.firstTx + 2)])
        let third = try db.query("[:find ?t ?note :where [?tx :tx/note ?note] [?tx :db/txInstant ?t]]").rows
        #expect(third == [[.instant(Instant(iso8601: "2001-01-01T00:00:00.000Z")!), .string("fix")]])
        let second = try db.query("[:find ?t . :where [1 :n 2 ?tx] [?tx :db/txInstant ?t]]").rows
        #expect(second == [])
        let current = try db.query("[:find ?t . :where [1 :n _ ?tx] [?tx :db/txInstant ?t]]").rows
        #expect(current == [[.instant(Instant(iso8601: "2001-01-01T00:00:00.000Z")!)]])
        // Tempids never take a transaction's id, and a full scan does not see transactions.
        let next = try db.transactReport(edn(#"[{:db/id "t" :n 9}]"#))
        #expect(next.tempids[.string("t")] == 2)
        #expect(try next.dbAfter.query("[:find ?e ?a ?v :where [?e ?a ?v]]").rows.count == 2)
    }

    @Test func schemaIsQueryableAsDatoms() throws {
        let db = try Database.load(edn: Self.schema)
        let rows = try db.query("""
            [:find ?i ?t ?c ?u :where [?a :db/ident ?i] [?a :db/valueType ?t] [?a :db/cardinality ?c]
             [(get-else $ ?a :db/unique :none) ?u]]
            """).rows
        #expect(Set(rows) == [
            [.keyword(Keyword("person/email")), .keyword(Keyword("db.type/string")), .keyword(Keyword("db.cardinality/one")),
             .keyword(Keyword("db.unique/identity"))],
            [.keyword(Keyword("person/friend")), .keyword(Keyword("db.type/ref")), .keyword(Keyword("db.cardinality/many")),
             .keyword(Keyword("none"))],
        ])
        #expect(try db.query("[:find ?d . :where [?a :db/ident :person/friend] [?a :db/doc ?d]]").rows == [[.string("who they know")]])
        // Attribute entities lie in the system range, and user ids start at 1 as before.
        let ids = try db.query("[:find [?a ...] :where [?a :db/ident]]").rows.map { $0[0] }
        #expect(ids.allSatisfy { if case .int(let e) = $0 { Database.systemEntities.contains(e) } else { false } })
        let after = try db.transactReport(edn(#"[{:person/email "a@x"}]"#))
        #expect(after.tempids == [.string("datomic.tx"): after.tx] && after.txData.contains { $0.entity == 1 })
        // Declaring an attribute again keeps its entity; what it leaves out is retracted.
        let again = try after.dbAfter.transact(edn("[{:db/ident :person/email :db/valueType :db.type/string}]"))
        #expect(try again.query("[:find [?a ...] :where [?a :db/ident]]").rows.map { $0[0] }.sorted { "\($0)" < "\($1)" }
                == ids.sorted { "\($0)" < "\($1)" })
        #expect(try again.query("[:find ?u :where [?a :db/ident :person/email] [?a :db/unique ?u]]").rows.isEmpty)
        // A full scan answers as DataScript does: user datoms only.
        #expect(try again.query("[:find ?a :where [_ ?a _]]").rows == [[.keyword(Keyword("person/email"))]])
    }

    @Test func tempidsPassOverTheSystemRange() throws {
        let last = Database.systemEntities.lowerBound - 1
        let report = try Database().transactReport(edn("[{:db/id \(last) :n 1} {:db/id \"t\" :n 2}]"))
        #expect(report.tempids[.string("t")] == Database.systemEntities.upperBound)
    }

    @Test func aSQLiteStoreHoldsTheSameSystemDatoms() async throws {
        let folder = try SQLiteFileTests.Folder()
        let path = folder.path("s.sqlite")
        let data = try edn(Self.schema)
        _ = try await SQLiteSource.create(path: path, loading: data)
        let store = try SQLiteSource(path: path, mode: .readWrite)
        _ = try await store.transact(edn(#"[{:db/ident :person/age :db/valueType :db.type/long} {:person/email "a@x" :person/age 3}]"#))
        let memory = try Database.load(edn: Self.schema)
            .transact(edn(#"[{:db/ident :person/age :db/valueType :db.type/long} {:person/email "a@x" :person/age 3}]"#))
        for q in ["[:find ?a ?i ?t :where [?a :db/ident ?i] [?a :db/valueType ?t]]", "[:find ?tx :where [?tx :db/txInstant]]",
                  "[:find ?e ?a ?v :where [?e ?a ?v]]"] {
            let remote = try await RemoteDatabase(unmaterialized: store).query(q).rows
            #expect(Set(remote) == Set(try memory.query(q).rows), "\(q)")
        }
        let snapshot = try await store.database()
        #expect(try snapshot.pull("[:db/cardinality]", entity: .keyword(Keyword("person/age")))
                == [.keyword(Keyword("db/cardinality")): .keyword(Keyword("db.cardinality/one"))])
    }
}

private extension Value {
    var int: Int64? { if case .int(let i) = self { i } else { nil } }
}
