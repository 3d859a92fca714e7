import Foundation
import Quarry

/// SQLite stores against the fuzzer, two ways (the first byte picks):
///
/// - **Transactions** (even): the rest, split at NUL bytes, is up to four
///   transactions applied one after another to a new store and to the
///   in-memory database. A write reads only what it touches, so the oracle
///   is the in-memory store, which reads everything: both take or refuse
///   each transaction, and hold the same datoms after it.
/// - **Damage** (odd): a good store has cells overwritten with values of
///   any storage class (records of column, row, class, length, bytes);
///   queries, the description and a write against it answer or fail with
///   an error, never trap.
enum FuzzSQLiteStore {
    static let folder: String = {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let path = base + "/quarry-fuzz-\(getpid())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        // Each input's store is unlinked after it; the folder goes when the fuzzer exits.
        atexit { rmdir(FuzzSQLiteStore.folder) }
        return path
    }()

    static func run(_ data: Data) {
        guard let mode = data.first else { return }
        let path = folder + "/store.sqlite"
        defer { for s in ["", "-wal", "-shm", "-journal"] { unlink(path + s) } }
        if mode & 1 == 0 {
            transactions(Array(data.dropFirst()), path: path)
        } else {
            damage(Array(data.dropFirst()), path: path)
        }
    }

    // MARK: Transactions against the in-memory store

    static func transactions(_ bytes: [UInt8], path: String) {
        let chunks = bytes.split(separator: 0, maxSplits: 3, omittingEmptySubsequences: false)
        guard let store = try? SQLiteSource(path: path, mode: .create) else { fatalError("cannot create a store") }
        var memory = try! Database()
        for chunk in chunks {
            guard let edn = try? EDNReader.readOne(String(decoding: chunk, as: UTF8.self)) else { continue }
            let expected = Result { try memory.transact(edn) }
            let written = blocking { try await store.transact(edn) }
            switch (expected, written) {
            case (.success(let next), .success):
                memory = next
            case (.failure, .failure):
                continue
            case (.success, .failure(let e)):
                // SQLite cannot hold NaN; the in-memory store can.
                if "\(e)".contains("NaN") { return }
                fatalError("the store refused what memory took: \(e)")
            case (.failure(let e), .success):
                fatalError("the store took what memory refused: \(e)")
            }
            let all = "[:find ?e ?a ?v ?tx :where [?e ?a ?v ?tx]]"
            let inMemory = Set((try? memory.query(all).rows) ?? [])
            let inFile = blocking { Set(try await RemoteDatabase(unmaterialized: store).query(all).rows) }
            guard case .success(let rows) = inFile, rows == inMemory else {
                fatalError("the store and memory hold different datoms: \(inFile) against \(inMemory)")
            }
        }
    }

    // MARK: Damage

    static let template: [UInt8] = {
        let path = folder + "/template.sqlite"
        for s in ["", "-wal", "-shm"] { unlink(path + s) }
        let data = try! EDNReader.readOne("""
            [{:db/ident :t/ref :db/valueType :db.type/ref}
             {:db/ident :t/id :db/valueType :db.type/string :db/unique :db.unique/identity}
             {:db/ident :t/tags :db/cardinality :db.cardinality/many}
             {:db/id 1 :t/id "a" :t/int 7 :t/dbl 1.5 :t/str "s" :t/kw :k/w :t/bool true :t/ref 2 :t/tags ["x" "y"]
              :t/inst #inst "2020-01-01T00:00:00Z" :t/uuid #uuid "6ba7b810-9dad-11d1-80b4-00c04fd430c8"}
             {:db/id 2 :t/id "b" :t/int 8 :t/ref 1}]
            """)
        guard case .success(.some) = blocking({ try await SQLiteSource.create(path: path, loading: data) }),
              let bytes = FileManager.default.contents(atPath: path) else { fatalError("cannot make the template store") }
        unlink(path)
        return [UInt8](bytes)
    }()

    /// Table and column of each cell a record can overwrite.
    static let cells: [(table: String, column: String)] = [
        ("datoms", "e"), ("datoms", "a"), ("datoms", "vt"), ("datoms", "v"), ("datoms", "tx"),
        ("attributes", "ident"), ("attributes", "value_type"), ("attributes", "many"), ("attributes", "uniq"),
        ("attributes", "indexed"), ("attributes", "component"),
        ("figures", "a"), ("figures", "datoms"), ("figures", "entities"), ("figures", "vals"), ("meta", "value"),
    ]

    static func damage(_ bytes: [UInt8], path: String) {
        guard FileManager.default.createFile(atPath: path, contents: Data(template)) else { fatalError("cannot copy the template") }
        do {
            let raw = try SQLiteConnection(path: path, mode: .readWrite)
            var at = 0
            while at + 4 <= bytes.count {
                let (cell, row, kind, length) = (Int(bytes[at]), Int(bytes[at + 1]), bytes[at + 2], Int(bytes[at + 3] % 24))
                let payload = Array(bytes[(at + 4)..<min(bytes.count, at + 4 + length)])
                at += 4 + length
                let (table, column) = cells[cell % cells.count]
                let value: SQLiteValue
                var cast = ""
                var word: UInt64 = 0
                for (i, b) in payload.prefix(8).enumerated() { word |= UInt64(b) << (8 * UInt64(i)) }
                switch kind % 5 {
                case 0: value = .int(Int64(bitPattern: word))
                case 1: value = .double(Double(bitPattern: word))
                case 2: (value, cast) = (.blob(payload), "CAST(?1 AS TEXT)")
                case 3: value = .blob(payload)
                default: value = .null
                }
                let statement = try raw.prepare("""
                    UPDATE \(table) SET \(column) = \(cast.isEmpty ? "?1" : cast)
                    WHERE rowid = (SELECT rowid FROM \(table) ORDER BY rowid LIMIT 1 OFFSET ?2)
                    """)
                try? statement.run([value, .int(Int64(row % 16))])
            }
        } catch {
            fatalError("cannot damage the store: \(error)")
        }
        _ = blocking {
            let source = try SQLiteSource(path: path)
            _ = try? await source.describe()
            _ = try? await RemoteDatabase(unmaterialized: source).query("[:find ?e ?a ?v :where [?e ?a ?v]]")
            _ = try? await RemoteDatabase(materializer: Materializer(source: source))
                .query("[:find ?n ?t :where [?e :t/id ?n] [?e :t/ref ?r] [?r :t/tags ?t]]")
            let writer = try SQLiteSource(path: path, mode: .readWrite)
            _ = try? await writer.transact(EDNReader.readOne(#"[{:t/id "a" :t/int 9} [:db/retractEntity 2] {:t/tags "z"}]"#))
        }
    }

    // MARK: Async from a synchronous entry point

    private final class Box<T>: @unchecked Sendable {
        var result: Result<T, Error>?
    }

    /// Runs `body` on the concurrency pool and waits for it (libFuzzer's
    /// entry point is synchronous).
    static func blocking<T>(_ body: @escaping @Sendable () async throws -> T) -> Result<T, Error> {
        let box = Box<T>()
        let done = DispatchSemaphore(value: 0)
        Task {
            do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
            done.signal()
        }
        done.wait()
        return box.result!
    }
}
