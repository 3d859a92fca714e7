import Foundation
import Testing
@testable import Quarry

/// Files on disk are not trusted: a file that is not a Quarry store is
/// refused without a byte (or a side file) changed, a query never writes,
/// opening never creates, and a damaged value is an error naming the file.
@Suite("SQLite files are untrusted")
struct SQLiteFileTests {
    /// A folder of its own per test, removed at the end.
    final class Folder {
        let url = URL(fileURLWithPath: TemporaryFiles.path("files", suffix: ""))
        init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(at: url) }
        func path(_ name: String) -> String { url.appendingPathComponent(name).path }
        /// Every file in the folder and its bytes.
        func contents() throws -> [String: Data] {
            var out: [String: Data] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: url.path) {
                out[name] = FileManager.default.contents(atPath: path(name)) ?? Data()
            }
            return out
        }
    }

    static let data = """
        [{:db/ident :t/ref :db/valueType :db.type/ref}
         {:db/id 1 :t/int 7 :t/dbl 1.5 :t/str "s" :t/kw :k/w :t/bool true :t/inst #inst "2020-01-01T00:00:00Z"
          :t/uuid #uuid "6ba7b810-9dad-11d1-80b4-00c04fd430c8" :t/ref 2}
         {:db/id 2 :t/int 8}]
        """

    static let modes: [SQLiteSource.OpenMode] = [.readOnly, .readWrite, .create, .createIfMissing]

    @Test(arguments: [false, true])
    func aSQLiteDatabaseThatIsNotAStoreIsRefusedUnchanged(wal: Bool) async throws {
        let folder = try Folder()
        let path = folder.path("other.db")
        do {
            let other = try SQLiteConnection(path: path)
            if wal { try other.execute("PRAGMA journal_mode = WAL") }
            try other.execute("CREATE TABLE t (a); INSERT INTO t VALUES (1)")
        }
        let before = try folder.contents()
        for mode in Self.modes {
            #expect(throws: StoreError.self) { _ = try SQLiteSource(path: path, mode: mode) }
        }
        #expect(try await SQLiteSource.create(path: path, loading: EDNReader.readOne(Self.data)) == nil)
        #expect(try folder.contents() == before)
    }

    @Test func filesThatAreNotSQLiteAreRefusedAndMissingOnesAreNotCreated() throws {
        let folder = try Folder()
        #expect(FileManager.default.createFile(atPath: folder.path("empty"), contents: Data()))
        #expect(FileManager.default.createFile(atPath: folder.path("text"), contents: Data("[{:db/id 1 :a 1}]".utf8)))
        #expect(FileManager.default.createFile(atPath: folder.path("short"), contents: Data("SQLite format 3\0".utf8)))
        try FileManager.default.createDirectory(atPath: folder.path("folder"), withIntermediateDirectories: false)
        let before = try folder.contents()
        for name in ["empty", "text", "short", "folder", "missing"] {
            for mode in [SQLiteSource.OpenMode.readOnly, .readWrite] {
                #expect(throws: StoreError.self) { _ = try SQLiteSource(path: folder.path(name), mode: mode) }
            }
        }
        #expect(try folder.contents() == before)
    }

    @Test func aStoreOfAnotherLayoutIsRefused() throws {
        let folder = try Folder()
        let path = folder.path("s.sqlite")
        _ = try SQLiteSource(path: path, mode: .create)
        try SQLiteConnection(path: path).execute("PRAGMA user_version = 2")
        #expect { _ = try SQLiteSource(path: path) } throws: { "\($0)".contains("layout version 2") }
    }

    @Test func createIsExplicitAndNeverReplacesAFile() async throws {
        let folder = try Folder()
        let path = folder.path("s.sqlite")
        #expect(throws: StoreError.self) { _ = try SQLiteSource(path: path) }
        #expect(!FileManager.default.fileExists(atPath: path))
        let created = try SQLiteSource(path: path, mode: .createIfMissing)
        _ = try await created.transact(EDNReader.readOne(Self.data))
        #expect(throws: StoreError.self) { _ = try SQLiteSource(path: path, mode: .create) }
        let reopened = try SQLiteSource(path: path, mode: .createIfMissing)
        #expect(try await reopened.describe().datoms == Database.load(edn: Self.data).count)
        #expect(try await SQLiteSource.create(path: path, loading: EDNReader.readOne("[]")) == nil)
    }

    @Test func aFailedLoadIntoANewFileLeavesNothing() async throws {
        let folder = try Folder()
        await #expect(throws: (any Error).self) {
            _ = try await SQLiteSource.create(path: folder.path("s.sqlite"), loading: EDNReader.readOne("[[:db/add 1]]"))
        }
        #expect(try folder.contents().isEmpty)
    }

    @Test func queriesAndReadOnlySourcesNeverWrite() async throws {
        let folder = try Folder()
        let path = folder.path("s.sqlite")
        _ = try await SQLiteSource.create(path: path, loading: EDNReader.readOne(Self.data))
        let before = try folder.contents()
        #expect(Array(before.keys) == ["s.sqlite"])
        do {
            let source = try SQLiteSource(path: path)
            let rows = try await RemoteDatabase(materializer: Materializer(source: source))
                .query("[:find ?e ?a ?v :where [?e ?a ?v]]").rows
            #expect(rows.count == 9)
            await #expect(throws: StoreError.self) {
                _ = try await source.transact(EDNReader.readOne("[[:db/add 1 :t/int 9]]"))
            }
            #expect(FileManager.default.contents(atPath: path) == before["s.sqlite"])
        }
        // Once the source is gone, neither the store nor its folder has changed: the side
        // files the reads made (`-wal`, `-shm`) are gone with the last connection.
        #expect(try folder.contents() == before)
    }

    /// A WAL store SQLite cannot make side files for (a write-protected
    /// folder; tests run as root, who can write anywhere, so the fallback
    /// that picks it is checked by hand) is read as immutable, through a
    /// URI that names the file whatever its name holds.
    @Test func aStoreReadAsImmutableAnswersThroughItsURI() async throws {
        let folder = try Folder()
        let path = folder.path("s 1?#%é.sqlite")
        _ = try await SQLiteSource.create(path: path, loading: EDNReader.readOne(Self.data))
        let before = try folder.contents()
        #expect(SQLiteConnection.hasNoSideFiles(path))
        #expect(SQLiteConnection.immutableURI(path).hasSuffix("/s%201%3F%23%25%C3%A9.sqlite?immutable=1"))
        #expect(SQLiteConnection.immutableURI(path).hasPrefix("file:///"))
        #expect(SQLiteConnection.immutableURI("//a/b") == "file:////a/b?immutable=1")
        #expect(SQLiteConnection.immutableURI("a b") == "file:a%20b?immutable=1")
        // Also through a path written with a doubled first slash.
        for name in [path, "/" + path] {
            let connection = try SQLiteConnection(path: name, mode: .immutable)
            let s = try connection.prepare("SELECT count(*) FROM datoms")
            #expect(try s.step() && s.int64(0) > 0)
        }
        #expect(try folder.contents() == before)
    }

    @Test func aLinkToAStoreOpensAndALinkToADeviceDoesNot() async throws {
        let folder = try Folder()
        let path = folder.path("s.sqlite")
        _ = try await SQLiteSource.create(path: path, loading: EDNReader.readOne(Self.data))
        try FileManager.default.createSymbolicLink(atPath: folder.path("link"), withDestinationPath: path)
        #expect(try await SQLiteSource(path: folder.path("link")).describe().datoms == Database.load(edn: Self.data).count)
        try FileManager.default.createSymbolicLink(atPath: folder.path("zero"), withDestinationPath: "/dev/zero")
        #expect { _ = try SQLiteSource(path: folder.path("zero"), mode: .readWrite) } throws: {
            "\($0)".contains("not a regular file")
        }
    }

    /// Found by fuzzing: text was bound up to its first NUL, so a keyword
    /// or string holding one was stored cut short.
    @Test func textHoldingNULsIsStoredWhole() async throws {
        let folder = try Folder()
        let path = folder.path("s.sqlite")
        let name = Keyword("p\u{0}q/uid"), text = "a\u{0}b"
        let data = EDN(.vector([EDN(.map([EDN(.keyword(name)), EDN(.string(text))]))]))
        _ = try await SQLiteSource.create(path: path, loading: data)
        let rows = try await RemoteDatabase(unmaterialized: SQLiteSource(path: path)).query("[:find ?a ?v :where [_ ?a ?v]]").rows
        #expect(rows == [[.keyword(name), .string(text)]])
    }

    /// Damage done to a good store with SQL, and the value it breaks.
    static let damage: [String] = [
        "UPDATE datoms SET vt = 99 WHERE a = 't/int'",
        "UPDATE datoms SET vt = -1 WHERE a = 't/int'",
        "UPDATE datoms SET v = 'x' WHERE a = 't/int'",
        "UPDATE datoms SET v = 1.5 WHERE a = 't/kw'",
        "UPDATE datoms SET v = NULL WHERE a = 't/dbl'",
        "UPDATE datoms SET v = 2 WHERE a = 't/bool'",
        "UPDATE datoms SET v = X'0102' WHERE a = 't/uuid'",
        "UPDATE datoms SET v = X'' WHERE a = 't/uuid'",
        "UPDATE datoms SET vt = 9, v = X'09FFFFFFFF' WHERE a = 't/int' AND e = 1",
        "UPDATE datoms SET vt = 9, v = X'0902000000010500' WHERE a = 't/int' AND e = 1",
        "UPDATE datoms SET vt = 9, v = X'09010000000C' WHERE a = 't/int' AND e = 1",
        "UPDATE datoms SET v = CAST(X'C328' AS TEXT) WHERE a = 't/str'",
        "UPDATE datoms SET a = CAST(X'FF' AS TEXT) WHERE a = 't/int' AND e = 1",
        "UPDATE datoms SET a = '' WHERE a = 't/int' AND e = 1",
        "UPDATE datoms SET e = 'one' WHERE a = 't/int' AND e = 1",
        "UPDATE datoms SET tx = 1.5 WHERE a = 't/int' AND e = 1",
        "UPDATE datoms SET e = -9223372036854775808 WHERE a = 't/int' AND e = 1",
        "UPDATE datoms SET tx = -1 WHERE a = 't/str'",
        "UPDATE attributes SET value_type = 'complex'",
        "UPDATE attributes SET many = 7",
        "UPDATE attributes SET uniq = 'sometimes'",
        "UPDATE figures SET datoms = -1 WHERE a = 't/int'",
        "UPDATE figures SET datoms = 9223372036854775807",
        "UPDATE figures SET entities = 'many' WHERE a = 't/int'",
        "UPDATE meta SET value = -5 WHERE key = 'max_entity'",
        "UPDATE meta SET value = 'x' WHERE key = 'max_entity'",
        "DROP TABLE figures",
        "DROP TABLE datoms",
    ]

    @Test(arguments: damage)
    func aDamagedStoreIsAnErrorNamingTheFile(_ sql: String) async throws {
        let folder = try Folder()
        let path = folder.path("s.sqlite")
        _ = try await SQLiteSource.create(path: path, loading: EDNReader.readOne(Self.data))
        try SQLiteConnection(path: path).execute(sql)
        let query = "[:find ?e ?a ?v :where [?e ?a ?v]]"
        for materialized in [false, true] {
            let source = try SQLiteSource(path: path)
            let db = materialized ? RemoteDatabase(materializer: Materializer(source: source))
                : RemoteDatabase(unmaterialized: source)
            await #expect { _ = try await db.query(query) } throws: { "\($0)".contains(path) }
        }
        // A write that touches the damage fails naming the file, or succeeds; it never traps.
        let writer = try SQLiteSource(path: path, mode: .readWrite)
        do {
            _ = try await writer.transact(EDNReader.readOne("[[:db/add 1 :t/int 5] [:db/add 1 :t/new 1]]"))
        } catch {
            #expect("\(error)".contains(path), "\(error)")
        }
    }
}
