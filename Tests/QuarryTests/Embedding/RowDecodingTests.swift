import Foundation
import Quarry
import Testing

/// Rows into Swift types: by column name, in order, as tuples, with
/// errors that name the column.
@Suite struct RowDecodingTests {
    let row = Row(columns: ["?name", "?age", "(count ?f)", "?tags", "?id", "?at", "?k"],
                  values: [.string("Ann"), .int(31), .int(2), .tuple([.int(1), .int(2)]),
                           .uuid(UUID(uuidString: "5A1E6C1E-0000-4000-8000-000000000001")!),
                           .instant(Instant(millisecondsSinceEpoch: 86_400_000)), .keyword(Keyword("a/b"))])

    struct Person: Decodable {
        let name: String
        let age: Int8
        let tags: [Int]
        let id: UUID
        let at: Date
        let k: Keyword
        let nickname: String?
    }

    @Test func byColumnName() throws {
        let p = try row.decode(Person.self)
        #expect(p.name == "Ann")
        #expect(p.age == 31)
        #expect(p.tags == [1, 2])
        #expect(p.id.uuidString == "5A1E6C1E-0000-4000-8000-000000000001")
        #expect(p.at == Date(timeIntervalSince1970: 86_400))
        #expect(p.k == Keyword("a/b"))
        #expect(p.nickname == nil)
        #expect(row["name"] == .string("Ann"))
        #expect(row["?age"] == .int(31))
        #expect(row["nope"] == nil)
    }

    @Test func asATupleAndInOrder() throws {
        let pair = Row(columns: ["?n", "?a"], values: [.string("Bo"), .int(42)])
        let (name, age) = try pair.decode(String.self, Int.self)
        #expect(name == "Bo" && age == 42)
        let values = try pair.decode([Value].self)
        #expect(values == [.string("Bo"), .int(42)])
        let one = Row(columns: ["?x"], values: [.double(2.5)])
        #expect(try one.decode(Double.self) == 2.5)
        #expect(try one.decode(Value.self) == .double(2.5))
        #expect(try Row(columns: ["?x"], values: [.int(3)]).decode(Double.self) == 3)
        #expect(try Row(columns: ["?e"], values: [.ref(7)]).decode(Int64.self) == 7)
    }

    @Test func mismatchesNameTheColumn() {
        struct Wrong: Decodable { let name: Int }
        struct Missing: Decodable { let count: Int }
        func message(_ body: () throws -> Void) -> QuarryError? {
            do { try body() } catch { return error as? QuarryError }
            return nil
        }
        let wrong = message { _ = try row.decode(Wrong.self) }
        #expect(wrong?.kind == .decoding)
        #expect(wrong?.message.contains("?name") == true)
        let missing = message { _ = try row.decode(Missing.self) }
        #expect(missing?.kind == .decoding)
        #expect(missing?.message.contains(":keys") == true)
        let narrow = message { _ = try Row(columns: ["?x"], values: [.int(300)]).decode(Int8.self) }
        #expect(narrow?.kind == .decoding)
        let arity = message { _ = try Row(columns: ["?x"], values: [.int(1)]).decode(Int.self, Int.self) }
        #expect(arity?.message.contains("tuple of 2") == true)
        let many = message { _ = try row.decode(String.self) }
        #expect(many?.kind == .decoding)
        let notATuple = message { _ = try Row(columns: ["?x"], values: [.int(1)]).decode([[Int]].self) }
        #expect(notATuple?.kind == .decoding)
    }

    @Test func keysNameTheColumns() throws {
        struct Count: Decodable { let who: String; let n: Int }
        let db = try EmbeddingFixture.people()
        let q = try PreparedQuery("[:find ?name (count ?f) :keys who n :where [?p :name ?name] [?p :friend ?f]]")
        let counts = try db.fetch(Count.self, q)
        #expect(counts.map(\.who).sorted() == ["Ann", "Bo", "Di"])
        #expect(counts.allSatisfy { $0.n == 1 })
    }
}
