import Foundation

/// What makes a SQLite file a Quarry store, and how one is made.
///
/// A store is marked in SQLite's header: `application_id` "QRRY" and
/// `user_version` the layout of its tables. The marks are read from the
/// file's first bytes before SQLite opens it, so a file that is not
/// Quarry's is refused without SQLite touching it (no journal mode set,
/// no side files made). A new store is built under a temporary name beside
/// the target and linked into place, so that no other process ever sees a
/// half-made store, and two processes creating one file make it once.
enum SQLiteStoreFile {
    /// `PRAGMA application_id`: "QRRY" in ASCII.
    static let applicationID: Int64 = 0x5152_5259
    /// `PRAGMA user_version`: the layout of the tables below.
    static let layoutVersion: Int64 = 1

    static let tablesSQL = """
        CREATE TABLE datoms (e INTEGER NOT NULL, a TEXT NOT NULL, vt INTEGER NOT NULL, v, tx INTEGER NOT NULL);
        CREATE INDEX datoms_eavt ON datoms (e, a, vt, v, tx);
        CREATE INDEX datoms_aevt ON datoms (a, e, vt, v, tx);
        CREATE INDEX datoms_avet ON datoms (a, vt, v, e, tx);
        CREATE INDEX datoms_vaet ON datoms (vt, v, a, e, tx);
        CREATE TABLE attributes (ident TEXT PRIMARY KEY, value_type TEXT, many INTEGER NOT NULL,
            uniq TEXT, indexed INTEGER NOT NULL, component INTEGER NOT NULL);
        CREATE TABLE figures (a TEXT PRIMARY KEY, datoms INTEGER NOT NULL, entities INTEGER NOT NULL,
            vals INTEGER NOT NULL);
        CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
        """

    /// Checks that `path` is a regular file whose SQLite header carries
    /// Quarry's marks, reading its first 100 bytes only.
    static func checkHeader(_ path: String) throws {
        switch FileKind(path) {
        case .missing: throw StoreError("no such file", path: path)
        case .other: throw StoreError("not a regular file", path: path)
        case .regular: break
        }
        let header: Data
        do {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            header = try handle.read(upToCount: 100) ?? Data()
        } catch {
            throw StoreError("cannot be read: \(error.localizedDescription)", path: path)
        }
        let bytes = [UInt8](header)
        guard bytes.count == 100, bytes.starts(with: Array("SQLite format 3\0".utf8)) else {
            throw StoreError("not a SQLite database, so not a Quarry store", path: path)
        }
        try checkMarks(applicationID: bigEndian(bytes, at: 68), version: bigEndian(bytes, at: 60), path: path)
    }

    /// Checks the marks as SQLite reads them once the file is open (a
    /// header page still in the write-ahead log included).
    static func checkMarks(_ connection: SQLiteConnection, path: String) throws {
        try checkMarks(applicationID: try connection.pragma("application_id"),
                       version: try connection.pragma("user_version"), path: path)
    }

    private static func checkMarks(applicationID id: Int64, version: Int64, path: String) throws {
        guard id == applicationID else {
            throw StoreError("a SQLite database but not a Quarry store (application_id 0x\(String(id, radix: 16)))",
                             path: path)
        }
        guard version == layoutVersion else {
            throw StoreError("a Quarry store of layout version \(version); this Quarry reads version \(layoutVersion)",
                             path: path)
        }
    }

    private static func bigEndian(_ bytes: [UInt8], at offset: Int) -> Int64 {
        Int64(Int32(bitPattern: bytes[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }))
    }

    /// Makes an empty store at `path`. Returns false, making nothing, when
    /// something already exists there.
    static func create(_ path: String) throws -> Bool {
        let temporary = try emptyStore(beside: path)
        defer { remove(temporary) }
        return try publish(temporary, at: path)
    }

    /// An empty store under a temporary name in `path`'s folder (a link
    /// needs the same file system), for ``publish(_:at:)``.
    static func emptyStore(beside path: String) throws -> String {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).creating-\(UUID().uuidString)").path
        do {
            // Closed at the end of this scope: the log is checkpointed into
            // the file, which is then whole on its own.
            let connection = try SQLiteConnection(path: temporary, mode: .readWriteCreate)
            try connection.execute("""
                PRAGMA application_id = \(applicationID);
                PRAGMA user_version = \(layoutVersion);
                PRAGMA journal_mode = WAL;
                BEGIN;
                \(tablesSQL)
                COMMIT;
                """)
        } catch {
            remove(temporary)
            throw StoreError("cannot be created: \(error)", path: path)
        }
        return temporary
    }

    /// Links a finished temporary store to `path`: at once and whole, and
    /// only if nothing is there (false then).
    static func publish(_ temporary: String, at path: String) throws -> Bool {
        guard link(temporary, path) == 0 else {
            let code = errno
            if code == EEXIST { return false }
            throw StoreError("cannot be created: \(String(cString: strerror(code)))", path: path)
        }
        return true
    }

    /// Removes a temporary store and any side file SQLite left.
    static func remove(_ temporary: String) {
        for suffix in ["", "-wal", "-shm", "-journal"] { unlink(temporary + suffix) }
    }
}
