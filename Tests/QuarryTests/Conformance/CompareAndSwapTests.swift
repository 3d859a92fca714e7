import Foundation
import Quarry
import Testing

/// `[:db/cas e a old new]`: the new value only if the old one is there, in
/// memory and in a SQLite store alike.
@Suite struct CompareAndSwapTests {
    static let data = """
        [{:db/ident :account/owner :db/valueType :db.type/ref}
         {:db/ident :tag :db/cardinality :db.cardinality/many}
         {:db/id 1 :balance 100 :name "a"} {:db/id 2 :name "b"} {:db/id 3 :account/owner 1}]
        """

    private func balance(_ db: Database) throws -> [[Value]] {
        try db.query("[:find ?b :where [1 :balance ?b]]").rows.arrays
    }

    @Test func swapsWhenTheOldValueIsThere() throws {
        let db = try Database.load(edn: Self.data)
        let after = try db.transact(try EDNReader.readOne("[[:db/cas 1 :balance 100 90]]"))
        #expect(try balance(after) == [[.int(90)]])
        #expect(try balance(db) == [[.int(100)]])
        let owner = try after.transact(try EDNReader.readOne("[[:db/cas 3 :account/owner 1 2]]"))
        #expect(try owner.query("[:find ?o . :where [3 :account/owner ?o]]").rows == [[.int(2)]])
        let fresh = try after.transact(try EDNReader.readOne("[[:db/cas 2 :balance nil 5]]"))
        #expect(try fresh.query("[:find ?b . :where [2 :balance ?b]]").rows == [[.int(5)]])
    }

    @Test func failsWholeWhenItIsNot() throws {
        let db = try Database.load(edn: Self.data)
        for (tx, message) in [
            ("[[:db/add 2 :name \"c\"] [:db/cas 1 :balance 99 90]]", ":db/cas failed: :balance of 1 is 100, not 99"),
            ("[[:db/cas 2 :balance 1 5]]", ":db/cas failed: :balance of 2 is nothing, not 1"),
            ("[[:db/cas 1 :balance nil 5]]", "is 100, not nothing"),
            ("[[:db/cas 1 :tag \"x\" \"y\"]]", "needs a cardinality-one attribute"),
            ("[[:db/cas 1 :balance 100]]", "takes an entity, an attribute, the old value and the new one"),
        ] {
            do {
                _ = try db.transact(try EDNReader.readOne(tx))
                Issue.record("\(tx) was applied")
            } catch {
                #expect("\(error)".contains(message), "\(tx): \(error)")
            }
        }
        #expect(try db.query("[:find ?n . :where [2 :name ?n]]").rows == [[.string("b")]])
    }

    @Test func swapsInASQLiteStore() async throws {
        let folder = try SQLiteFileTests.Folder()
        let path = folder.path("cas.sqlite")
        _ = try await SQLiteSource.create(path: path, loading: try EDNReader.readOne(Self.data))
        let store = try SQLiteSource(path: path, mode: .readWrite)
        _ = try await store.transact(try EDNReader.readOne("[[:db/cas 1 :balance 100 90]]"))
        do {
            _ = try await store.transact(try EDNReader.readOne("[[:db/cas 1 :balance 100 80]]"))
            Issue.record("a stale swap was applied")
        } catch {
            #expect("\(error)".contains("is 90, not 100"))
        }
        let rows = try await RemoteDatabase(unmaterialized: store).query("[:find ?b . :where [1 :balance ?b]]").rows
        #expect(rows == [[.int(90)]])
    }
}
