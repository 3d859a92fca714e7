import Testing
import Quarry

/// `Database(datoms:schema:)`: datoms held as given, once each.
@Suite struct DatabaseFromDatomsTests {
    @Test func holdsTheDatomsAsGiven() throws {
        let name = Keyword("person/name"), friend = Keyword("person/friend")
        let db = try Database(datoms: [
            SourceDatom(e: 1, a: name, v: .string("Ann"), tx: 536_870_913),
            SourceDatom(e: 2, a: name, v: .string("Bo"), tx: 536_870_914),
            SourceDatom(e: 1, a: friend, v: .ref(2), tx: 536_870_914),
            SourceDatom(e: 1, a: name, v: .string("Ann"), tx: 536_870_913),
        ], schema: [Attribute(ident: friend, valueType: .ref, cardinalityMany: true)])
        #expect(db.count == 3)
        #expect(try db.query("[:find ?n . :where [1 :person/friend ?f] [?f :person/name ?n]]").rows == [[.string("Bo")]])
        let next = try db.transactReport(EDNReader.readOne(#"[{:db/id "c" :person/name "Cy"}]"#))
        #expect(next.tx == 536_870_915 && next.tempids[.string("c")] == 3)
        #expect(throws: TransactionError.self) { try Database(datoms: [SourceDatom(e: -1, a: name, v: .int(1), tx: 1)]) }
    }
}
