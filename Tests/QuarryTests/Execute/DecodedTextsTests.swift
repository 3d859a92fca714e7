import Quarry
import Testing

/// Results decode strings and keywords through a small direct-mapped memo
/// that grows while texts keep missing; whatever the slots collide on,
/// every value comes out as it went in.
@Suite struct DecodedTextsTests {
    @Test func manyTextsAndFewRepeatedOnesDecodeAsTheyWentIn() throws {
        let n = 6_000
        var datoms: [SourceDatom] = []
        for i in 0..<n {
            let e = Int64(1 + i)
            datoms.append(SourceDatom(e: e, a: Keyword("name"), v: .string("name-\(i)"), tx: Database.firstTx))
            datoms.append(SourceDatom(e: e, a: Keyword("kind"), v: .keyword(Keyword("kind/k\(i % 5)")), tx: Database.firstTx))
            datoms.append(SourceDatom(e: e, a: Keyword("tag"), v: .keyword(Keyword("tag/t\(i)")), tx: Database.firstTx))
        }
        let db = try Database(datoms: datoms)
        let rows = try db.query("[:find ?e ?n ?k ?t :where [?e :name ?n] [?e :kind ?k] [?e :tag ?t]]").rows
        let expected = Set((0..<n).map { i -> [Value] in
            [.int(Int64(1 + i)), .string("name-\(i)"), .keyword(Keyword("kind/k\(i % 5)")), .keyword(Keyword("tag/t\(i)"))]
        })
        #expect(rows.count == n && Set(rows) == expected)
        // A second query starts from a fresh memo and agrees.
        let again = try db.query("[:find ?t ?n :where [?e :tag ?t] [?e :name ?n]]").rows
        #expect(Set(again) == Set(expected.map { [$0[3], $0[1]] }))
    }
}
