import Foundation
import Quarry
import Testing

/// `db.entity(...)`: lazy attribute access, references both ways, and the
/// database value the entity came from.
@Suite struct EntityTests {
    @Test func readsAttributesAndReferences() throws {
        let db = try Conformance.database(Datasets.people)
        let petr = try #require(try db.entity(.int(2)))
        #expect(petr["person/name"] == .string("Petr"))
        #expect(petr[":person/age"] == .int(37))
        #expect(petr["person/friend"] == .tuple([.int(1), .int(3)]))
        #expect(petr["person/email"] == nil)
        #expect(petr.references("person/friend").map(\.id) == [1, 3])
        #expect(petr.references("person/_parent").map(\.id) == [3, 4])
        #expect(petr.references("person/friend").first?["person/aka"] == .tuple([.string("Ivanushka"), .string("Vanya")]))
        #expect(petr.attributes.map(\.text) == ["person/age", "person/born", "person/friend", "person/name", "person/salary",
                                                "person/sex"])
        #expect(petr.touch()[.keyword(Keyword("person/name"))] == .string("Petr"))
    }

    @Test func namesEntitiesAsPullDoes() throws {
        let db = try Conformance.database(Datasets.people)
        #expect(try db.entity(.tuple([.keyword(Keyword("person/email")), .string("maria@example.com")]))?.id == 5)
        #expect(try db.entity(.tuple([.keyword(Keyword("person/email")), .string("nobody")])) == nil)
        #expect(try db.entity(.int(99)) == nil)
        let attribute = try #require(try db.entity(.keyword(Keyword("person/friend"))))
        #expect(attribute["db/cardinality"] == .keyword(Keyword("db.cardinality/many")))
        #expect(try db.entity(.tuple([.keyword(Keyword("db/ident")), .keyword(Keyword("person/friend"))])) == attribute)
        #expect(throws: QuarryError.self) { try db.entity(.string("Petr")) }
    }

    @Test func readsTheDatabaseItCameFrom() throws {
        let db = try Database.load(edn: "[{:db/id 1 :n 1}]")
        let before = try #require(try db.entity(.int(1)))
        let after = try db.transact(EDNReader.readOne("[[:db/add 1 :n 2]]"))
        #expect(before["n"] == .int(1))
        #expect(try after.entity(.int(1))?["n"] == .int(2))
        #expect(try after.entity(.int(1)) != before)
    }
}
