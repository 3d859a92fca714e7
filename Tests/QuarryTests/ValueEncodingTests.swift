import Foundation
import Testing
@_spi(Core) @testable import Quarry

@Suite("Value encoding")
struct ValueEncodingTests {
    @Test("every value type round-trips through word and tag")
    func roundTrip() throws {
        let interner = try Interner()
        let values: [Value] = [
            .int(-42), .int(.max), .double(3.25), .bool(true), .bool(false), .string("Ivan"), .string(""),
            .keyword(Keyword(":person/name")), .ref(10_000_000_001), .instant(Instant(millisecondsSinceEpoch: 1_700_000_000_123)),
            .uuid(UUID(uuidString: "6F9619FF-8B86-D011-B42D-00C04FC964FF")!),
        ]
        for v in values {
            let e = try v.encoded(in: interner)
            #expect(e.tag == v.tag)
            #expect(Value(e, interner: interner) == v)
        }
    }

    @Test("-0.0 and 0.0, and every NaN, encode alike")
    func canonicalDoubles() throws {
        let interner = try Interner()
        #expect(try Value.double(-0.0).encoded(in: interner) == Value.double(0.0).encoded(in: interner))
        let nan1 = Double(nan: 1, signaling: false), nan2 = Double(nan: 7, signaling: false)
        #expect(try Value.double(nan1).encoded(in: interner) == Value.double(nan2).encoded(in: interner))
    }

    @Test("strings and keywords of the same text share an id but not a tag")
    func stringsAndKeywords() throws {
        let interner = try Interner()
        let s = try Value.string("a").encoded(in: interner), k = try Value.keyword(Keyword("a")).encoded(in: interner)
        #expect(s.word == k.word)
        #expect(s != k)
    }

    @Test("keyword parts and instant text")
    func keywordAndInstant() {
        let k = Keyword(":db.type/ref")
        #expect(k.namespace == "db.type")
        #expect(k.name == "ref")
        #expect(k.description == ":db.type/ref")
        #expect(Keyword("plain").namespace == nil)
        #expect(Instant(millisecondsSinceEpoch: 1_700_000_000_123).description == "2023-11-14T22:13:20.123Z")
    }
}
