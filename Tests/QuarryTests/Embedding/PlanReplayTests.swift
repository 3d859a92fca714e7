@testable import Quarry
import Testing

/// A prepared query's later runs replay its first plan's choices and
/// build the same plan; a cursor lets go of its memory when closed.
@Suite struct PlanReplayTests {
    static let join = """
        [:find ?n ?fn :in $ ?min
         :where [?p :age ?a] [(>= ?a ?min)] [?p :friend ?f] [?f :name ?fn] [?p :name ?n]]
        """

    @Test func laterRunsReplayTheFirstPlan() throws {
        let db = try EmbeddingFixture.people()
        let q = try PreparedQuery(Self.join)
        #expect(!q.hasRecordedPlan)
        let explain = QueryOptions(explain: true)
        let first = try db.query(q, [18], options: explain)
        #expect(q.hasRecordedPlan)
        let run = q.run(on: db, inputs: [40], options: explain, start: .now)
        let second = try run.open().result()
        #expect(run.choices.replayedWhole)
        #expect(second.plan == first.plan)
        #expect(Set(second.rows) == Set(try db.query(Self.join, inputs: [EDN(.int(40))]).rows))
    }

    @Test func replayStopsWhereRulesChangedTheClauses() throws {
        let db = try EmbeddingFixture.people()
        let q = try PreparedQuery("[:find ?n :in $ % :where (r ?p) [?p :name ?n]]")
        _ = try db.query(q, [.rules("[[(r ?p) [?p :age 42]]]")])
        let run = q.run(on: db, inputs: [.rules("[[(r ?p) [?p :friend ?f] [?f :age ?a] [(> ?a 18)] [?p :age 42]]]")],
                        options: QueryOptions(), start: .now)
        let rows = try run.open().result().rows
        #expect(rows.count == 1)
        #expect(!run.choices.replayedWhole)
    }

    @Test func closingACursorReleasesItsMemory() throws {
        let numbers = try EmbeddingFixture.numbers(5_000)
        let cursor = try numbers.cursor(try PreparedQuery("[:find ?e ?v :where [?e :n ?v]]"))
        _ = try cursor.next()
        weak let account = cursor.account
        #expect(account != nil)
        cursor.close()
        #expect(account == nil)
    }
}
