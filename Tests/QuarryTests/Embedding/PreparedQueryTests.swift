import Foundation
import Quarry
import Testing

/// The embedding API through its public surface only: prepared queries,
/// Swift inputs, cursors, async rows and the one error type.
@Suite struct PreparedQueryTests {
    let db: Database
    init() throws { db = try EmbeddingFixture.people() }

    static let byAge = """
        [:find ?name :in $ ?min :where [?p :age ?a] [(>= ?a ?min)] [?p :name ?name]]
        """

    private func names(_ result: QueryResult) -> [String] {
        result.rows.map { row in if case .string(let s) = row[0] { s } else { "?" } }.sorted()
    }

    @Test func preparedOnceRunsWithNewInputsLikeText() throws {
        let q = try PreparedQuery(Self.byAge)
        #expect(q.columns == ["?name"])
        #expect(q.inputNames == ["?min"])
        #expect(q.shape == .relation)
        for min in [0, 18, 40, 99] {
            let prepared = try db.query(q, [.value(min)])
            let text = try db.query(Self.byAge, inputs: [EDN(.int(Int64(min)))])
            #expect(names(prepared) == names(text))
        }
        #expect(names(try db.query(q, [40])) == ["Bo", "Di"])
    }

    @Test func swiftInputsOfEveryShape() throws {
        let collection = try db.query("[:find ?n :in $ [?a ...] :where [?p :age ?a] [?p :name ?n]]", [[17, 31]])
        #expect(names(collection) == ["Ann", "Cy"])
        let tuple = try db.query("[:find ?p :in $ [?n ?a] :where [?p :name ?n] [?p :age ?a]]", [.tuple("Bo", 42)])
        #expect(tuple.rows.count == 1)
        let relation = try db.query("[:find ?n :in $ [[?n ?a]] :where [?p :name ?n] [?p :age ?a]]",
                                    [.relation([("Bo", 42), ("Cy", 99), ("Di", 42)])])
        #expect(names(relation) == ["Bo", "Di"])
        let literalRelation = try db.query("[:find ?n :in $ [[?n ?a]] :where [?p :name ?n] [?p :age ?a]]",
                                           [[["Ann", 31], ["Bo", 1]]])
        #expect(names(literalRelation) == ["Ann"])
        let ids: [Int64] = [1, 2]
        let array = try db.query("[:find ?n :in $ [?p ...] :where [?p :name ?n]]", [.value(ids)])
        #expect(array.rows.count == 2)
        let other = try EmbeddingFixture.numbers(3)
        let source = try db.query("[:find ?v :in $ $b :where [$b _ :n ?v]]", [.database(other)])
        #expect(source.rows.count == 3)
        let rules = try db.query("[:find ?n :in $ % :where (adult ?p) [?p :name ?n]]",
                                 [.rules("[[(adult ?p) [?p :age ?a] [(>= ?a 18)]]]")])
        #expect(names(rules) == ["Ann", "Bo", "Di"])
        let edn = try db.query(Self.byAge, [.edn(try EDNReader.readOne("40"))])
        #expect(names(edn) == ["Bo", "Di"])
    }

    @Test func errorsHaveAKindAMessageAndAPosition() throws {
        func failure(_ body: () throws -> Void) -> QuarryError? {
            do { try body() } catch let e as QuarryError { return e } catch { Issue.record("not a QuarryError: \(error)") }
            return nil
        }
        let syntax = failure { _ = try PreparedQuery("[:find ?x :where [?x :a") }
        #expect(syntax?.kind == .syntax)
        let unbound = failure { _ = try PreparedQuery("[:find ?y\n :where [?x :name _]]") }
        #expect(unbound?.kind == .query)
        #expect(unbound?.position == SourcePosition(line: 1, column: 8))
        #expect(unbound?.message.contains("?y") == true)
        let function = failure { _ = try PreparedQuery("[:find ?x :where [?x :age ?a] [(nope ?a)]]") }
        #expect(function?.kind == .query)
        let q = try PreparedQuery(Self.byAge)
        #expect(failure { _ = try db.query(q) }?.kind == .input)
        #expect(failure { _ = try db.query(q, [1, 2]) }?.kind == .input)
        #expect(failure { _ = try db.query(q, [.database(db)]) }?.kind == .input)
        let tuple = try PreparedQuery("[:find ?p :in $ [?n ?a] :where [?p :name ?n] [?p :age ?a]]")
        #expect(failure { _ = try db.query(tuple, [["Bo"]]) }?.kind == .input)
        #expect(failure { _ = try db.query(tuple, [.value(UInt64.max)]) }?.kind == .input)
        let budget = QueryOptions(memoryLimitBytes: 1)
        let big = try PreparedQuery("[:find ?a ?b :where [?a :age _] [?b :age _]]")
        let stopped = failure { _ = try db.query(big, options: budget) }
        #expect(stopped?.kind == .budget)
        #expect(stopped?.budgetBytes == 1)
        #expect(QuarryError(QueryError("x", at: SourcePosition(line: 2, column: 3))).description == "x at 2:3")
    }

    @Test func aQueryNeedingNoDataPreparesWithoutOne() throws {
        // Planned against an empty database: unknown attributes are no error.
        let q = try PreparedQuery("[:find ?x :where [?x :no-such-attribute 1]]")
        #expect(try db.query(q).rows.isEmpty)
        // Rules given as an input cannot be checked before a run.
        let rules = try PreparedQuery("[:find ?x :in $ % :where (r ?x)]")
        #expect(rules.inputNames == ["%"])
    }

    @Test func cursorPullsRowsAndStopsEarly() throws {
        let numbers = try EmbeddingFixture.numbers(20_000)
        let q = try PreparedQuery("[:find ?e ?v :where [?e :n ?v]]")
        let cursor = try numbers.cursor(q)
        #expect(cursor.columns == ["?e", "?v"])
        var pulled = 0
        while let row = try cursor.next() {
            #expect(row.count == 2)
            pulled += 1
            if pulled == 10 { break }
        }
        #expect(cursor.engineBytesHeld > 0)
        let produced = cursor.stats.operatorRows.map(\.rows).max() ?? 0
        #expect(produced < 20_000, "pulling 10 rows computed \(produced)")
        cursor.close()
        #expect(cursor.engineBytesHeld == 0)
        #expect(try cursor.next() == nil)
        // Pulled to the end, a cursor gives what a whole run gives.
        let all = try numbers.cursor(q)
        var rows: Set<Row> = []
        while let row = try all.next() { rows.insert(row) }
        #expect(rows.count == 20_000)
        #expect(Set(try numbers.query(q).rows) == Set(rows.map(\.values)))
    }

    @Test func scalarAndTupleFindsGiveOneRow() throws {
        let scalar = try db.cursor(try PreparedQuery("[:find ?n . :where [_ :name ?n]]"))
        #expect(try scalar.next() != nil)
        #expect(try scalar.next() == nil)
        let count = try db.query(try PreparedQuery("[:find (count ?p) . :where [?p :name _]]"))
        #expect(count.rows == [[.int(4)]])
    }

    @Test func asyncRowsStopEarlyAndDecode() async throws {
        struct Person: Decodable, Equatable {
            let name: String
            let age: Int
        }
        let q = try PreparedQuery("[:find ?name ?age :where [?p :name ?name] [?p :age ?age]]")
        var people: [Person] = []
        for try await row in db.rows(q) { people.append(try row.decode(Person.self)) }
        #expect(people.sorted { $0.name < $1.name }.map(\.name) == ["Ann", "Bo", "Cy", "Di"])
        var seen = 0
        for try await _ in db.rows(q) {
            seen += 1
            break
        }
        #expect(seen == 1)
        #expect(try db.fetch(Person.self, q).count == 4)
    }

    @Test func cancellingTheTaskStopsTheRows() async throws {
        let numbers = try EmbeddingFixture.numbers(5_000)
        let q = try PreparedQuery("[:find ?e ?v :where [?e :n ?v]]")
        let outcome = await Task {
            var seen = 0
            do {
                for try await _ in numbers.rows(q) {
                    seen += 1
                    if seen == 1 { withUnsafeCurrentTask { $0?.cancel() } }
                }
                return QuarryError.Kind?.none
            } catch {
                return QuarryError(error).kind
            }
        }.value
        #expect(outcome == .cancelled)
    }

    @Test func deadlineStopsACursor() throws {
        let numbers = try EmbeddingFixture.numbers(3_000)
        let q = try PreparedQuery("[:find ?e ?v :where [?e :n ?v]]")
        let cursor = try numbers.cursor(q, options: QueryOptions(deadline: .now + .seconds(3600)))
        _ = try cursor.next()
        #expect(try cursor.next() != nil)
        do {
            _ = try numbers.cursor(q, options: QueryOptions(deadline: .now - .seconds(1)))
            Issue.record("a cursor past its deadline started")
        } catch {
            #expect(error.kind == .deadline)
        }
    }

    @Test func onePreparedQueryServesConcurrentRuns() async throws {
        let q = try PreparedQuery(Self.byAge)
        let db = self.db
        let expected: [Int: Int] = [0: 4, 18: 3, 40: 2, 99: 0]
        try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for round in 0..<64 {
                let min = [0, 18, 40, 99][round % 4]
                group.addTask { (min, try db.query(q, [.value(min)]).rows.count) }
            }
            for try await (min, count) in group { #expect(expected[min] == count) }
        }
    }
}
