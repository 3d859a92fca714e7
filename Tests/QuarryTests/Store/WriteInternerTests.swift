import Testing
@_spi(Core) @testable import Quarry

/// A transaction copies the interned strings only when it brings a new one,
/// and never changes the database before it.
@Suite struct WriteInternerTests {
    @Test func knownValuesShareTheInternerAndNewOnesCopyIt() throws {
        let before = try Database().transact(EDNReader.readOne(#"[[:db/add 1 :name "Ann"]]"#))
        let same = try before.transact(EDNReader.readOne(#"[[:db/add 2 :name "Ann"]]"#))
        #expect(same.interner === before.interner)
        let grown = try before.transact(EDNReader.readOne(#"[[:db/add 3 :name "Bo"] [:db/add 3 :kind :new/kind]]"#))
        #expect(grown.interner !== before.interner)
        #expect(before.interner.id(of: "Bo") == nil && before.interner.id(of: "new/kind") == nil)
        #expect(try grown.query(#"[:find ?e :where [?e :name "Bo"] [?e :kind :new/kind]]"#).rows == [[.int(3)]])
        #expect(try before.query(#"[:find ?e :where [?e :name "Bo"]]"#).rows.isEmpty)
    }
}
