import CSQLite
import Foundation

/// A SQLite error with SQLite's own message.
package struct SQLiteError: Error, CustomStringConvertible {
    package let description: String
    /// SQLite's busy error: another connection held a lock past the busy timeout.
    package var busy = false
    /// SQLite's interrupt error: ``SQLiteInterrupter/interrupt(_:)`` stopped the statement.
    package var interrupted = false
}

/// A value bound to or read from a statement.
package enum SQLiteValue: Hashable {
    case int(Int64)
    case double(Double)
    case text(String)
    case blob([UInt8])
    case null
}

/// How a connection opens its file.
package enum SQLiteOpenMode {
    /// Reads only: no statement writes (`PRAGMA query_only`). The file is
    /// opened for writing where the system allows it all the same: in WAL
    /// mode a read makes the side files (`-wal`, `-shm`), and only a
    /// connection that may write removes them as the last one closes (a
    /// read-only one leaves them beside the store). A write-protected file
    /// is opened read-only.
    case readOnly
    /// Reads and writes a file that exists.
    case readWrite
    /// Reads and writes, creating the file when missing.
    case readWriteCreate
    /// Reads a file nobody writes (SQLite's `immutable`): no locks, no WAL.
    case immutable
}

/// The text a column last held and its decoded value (see
/// ``SQLiteStatement/text(_:repeated:_:)``).
package struct RepeatedText<T> {
    fileprivate var bytes: [UInt8] = []
    fileprivate var value: T?

    package init() {}

    fileprivate init(bytes: [UInt8], value: T) {
        self.bytes = bytes
        self.value = value
    }
}

/// SQLite's storage classes.
package enum SQLiteType: String {
    case integer, float, text, blob, null
}

/// A connection to Debian's libsqlite3: the store of ``SQLiteSource`` and
/// the engine the OHLC benchmark compares against. SQLite's pointers live in this type and
/// ``SQLiteStatement`` only.
package final class SQLiteConnection {
    fileprivate let handle: OpaquePointer
    /// Stops this connection's statements from other threads.
    package let interrupter: SQLiteInterrupter

    /// Opens `path` as `mode` says, or a private in-memory database by default.
    package init(path: String = ":memory:", mode: SQLiteOpenMode = .readWriteCreate) throws {
        var db: OpaquePointer
        switch mode {
        case .readWriteCreate: db = try Self.open(path, flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        case .readWrite: db = try Self.open(path, flags: SQLITE_OPEN_READWRITE)
        case .immutable: db = try Self.open(Self.immutableURI(path), flags: SQLITE_OPEN_READONLY | SQLITE_OPEN_URI)
        case .readOnly:
            db = try Self.open(path, flags: SQLITE_OPEN_READWRITE)
            if sqlite3_db_readonly(db, "main") == 1 {
                // Write-protected: opened as read-only outright.
                sqlite3_close(db)
                db = try Self.open(path, flags: SQLITE_OPEN_READONLY)
                if Self.cannotRead(db), Self.hasNoSideFiles(path) {
                    // A WAL store in a folder SQLite cannot make its side files in (read-only
                    // media, an image's layer): with no WAL beside it, nobody has written it since
                    // its last writer closed, so it is read as immutable.
                    sqlite3_close(db)
                    db = try Self.open(Self.immutableURI(path), flags: SQLITE_OPEN_READONLY | SQLITE_OPEN_URI)
                }
            } else if sqlite3_exec(db, "PRAGMA query_only = 1", nil, nil, nil) != SQLITE_OK {
                sqlite3_close(db)
                throw SQLiteError(description: "cannot open \(path) for reading only")
            }
        }
        handle = db
        interrupter = SQLiteInterrupter(db)
    }

    /// Whether a first read on `db` fails as SQLite fails a WAL store whose
    /// side files it cannot make.
    private static func cannotRead(_ db: OpaquePointer) -> Bool {
        let rc = sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", nil, nil, nil) & 0xff
        return rc == SQLITE_READONLY || rc == SQLITE_CANTOPEN
    }

    /// Whether neither a WAL nor a WAL index lies beside `path`.
    static func hasNoSideFiles(_ path: String) -> Bool {
        access(path + "-wal", F_OK) != 0 && access(path + "-shm", F_OK) != 0
    }

    /// `path` as a URI SQLite opens immutable: every byte outside a plain
    /// path's letters percent-encoded (a `?` or `#` in a name would
    /// otherwise end the path); an absolute path after an empty authority
    /// (`file:///...`), so that one starting `//` is not read as a host.
    static func immutableURI(_ path: String) -> String {
        var uri = path.hasPrefix("/") ? "file://" : "file:"
        for byte in path.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "/"), UInt8(ascii: "."), UInt8(ascii: "-"),
                 UInt8(ascii: "_"):
                uri.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                uri += String(format: "%%%02X", byte)
            }
        }
        return uri + "?immutable=1"
    }

    private static func open(_ path: String, flags: Int32) throws -> OpaquePointer {
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(db)
            throw SQLiteError(description: "cannot open \(path): \(message)")
        }
        return db
    }

    /// How long a statement waits for another connection's lock before it
    /// fails with "database is locked".
    package func setBusyTimeout(milliseconds: Int32) {
        sqlite3_busy_timeout(handle, milliseconds)
    }

    /// The integer a pragma without arguments returns (`application_id`, `user_version`).
    package func pragma(_ name: String) throws -> Int64 {
        let s = try prepare("PRAGMA \(name)")
        return try s.step() ? s.int64(0) : 0
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    package var changes: Int { Int(sqlite3_changes(handle)) }

    /// Whether the last error was SQLite's busy error (a lock held past the timeout).
    package var isBusy: Bool { sqlite3_errcode(handle) & 0xff == SQLITE_BUSY }

    deinit {
        interrupter.close()
        sqlite3_close(handle)
    }

    /// Whether the last error was SQLite's interrupt error.
    package var isInterrupted: Bool { sqlite3_errcode(handle) & 0xff == SQLITE_INTERRUPT }

    /// Runs statements that return no rows.
    package func execute(_ sql: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        guard sqlite3_exec(handle, sql, nil, nil, &error) == SQLITE_OK else {
            let message = error.map { String(cString: $0) } ?? "unknown error"
            sqlite3_free(error)
            throw SQLiteError(description: message, busy: isBusy)
        }
    }

    package func prepare(_ sql: String) throws -> SQLiteStatement { try SQLiteStatement(sql, on: self) }

    /// Every row of a query, each column read as a double (the benchmark
    /// compares numbers only).
    package func rows(_ sql: String) throws -> [[Double]] {
        let statement = try prepare(sql)
        var out: [[Double]] = []
        while try statement.step() {
            out.append((0..<statement.columnCount).map(statement.double))
        }
        return out
    }

    package var message: String { String(cString: sqlite3_errmsg(handle)) }
}

/// A prepared statement: bind, step, read, reset.
package final class SQLiteStatement {
    private let handle: OpaquePointer
    private let connection: SQLiteConnection

    fileprivate init(_ sql: String, on connection: SQLiteConnection) throws {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(connection.handle, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            throw SQLiteError(description: "cannot prepare \(sql): \(connection.message)", busy: connection.isBusy)
        }
        handle = statement
        self.connection = connection
    }

    deinit { sqlite3_finalize(handle) }

    package var columnCount: Int { Int(sqlite3_column_count(handle)) }

    /// Binds `values` to the parameters in order; text is copied by SQLite.
    package func bind(_ values: [SQLiteValue]) throws {
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        for (i, value) in values.enumerated() {
            let index = Int32(i + 1)
            let rc = switch value {
            case .int(let v): sqlite3_bind_int64(handle, index, v)
            case .double(let v): sqlite3_bind_double(handle, index, v)
            // The byte count, not -1: SQLite would stop at a NUL inside the text.
            case .text(let v): sqlite3_bind_text64(handle, index, v, sqlite3_uint64(v.utf8.count), transient,
                                                   UInt8(SQLITE_UTF8))
            case .blob(let v): v.withUnsafeBytes { sqlite3_bind_blob(handle, index, $0.baseAddress, Int32(v.count), transient) }
            case .null: sqlite3_bind_null(handle, index)
            }
            guard rc == SQLITE_OK else { throw SQLiteError(description: "cannot bind: \(connection.message)") }
        }
    }

    /// Steps once: true while there is a row to read.
    package func step() throws -> Bool {
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            throw SQLiteError(description: connection.message, busy: connection.isBusy,
                              interrupted: connection.isInterrupted)
        }
    }

    package func double(_ column: Int) -> Double { sqlite3_column_double(handle, Int32(column)) }
    package func int64(_ column: Int) -> Int64 { sqlite3_column_int64(handle, Int32(column)) }

    /// A column's text, every byte of it (NULs included), or nil when it is
    /// not valid UTF-8: for text that comes from a file nobody checked.
    package func validatedText(_ column: Int) -> String? {
        let n = Int(sqlite3_column_bytes(handle, Int32(column)))
        guard n > 0, let p = sqlite3_column_text(handle, Int32(column)) else { return "" }
        return String(validating: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
    }

    /// `decode` of a column's text, which must be UTF-8 (nil when it is
    /// not), decoded once while rows repeat the same bytes: the rows of a
    /// scan repeat a few attribute names thousands of times.
    package func text<T>(_ column: Int, repeated last: inout RepeatedText<T>, _ decode: (String) throws -> T) rethrows -> T? {
        let n = Int(sqlite3_column_bytes(handle, Int32(column)))
        guard let p = sqlite3_column_text(handle, Int32(column)) else { return try decode("") }
        let bytes = UnsafeBufferPointer(start: p, count: n)
        if let value = last.value, last.bytes.count == n,
           n == 0 || last.bytes.withUnsafeBufferPointer({ memcmp($0.baseAddress!, p, n) == 0 }) {
            return value
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { return nil }
        let value = try decode(text)
        last = RepeatedText(bytes: Array(bytes), value: value)
        return value
    }

    /// The storage class of a column's value in the current row.
    package func type(_ column: Int) -> SQLiteType {
        switch sqlite3_column_type(handle, Int32(column)) {
        case SQLITE_INTEGER: .integer
        case SQLITE_FLOAT: .float
        case SQLITE_TEXT: .text
        case SQLITE_BLOB: .blob
        default: .null
        }
    }

    package func blob(_ column: Int) -> [UInt8] {
        let n = Int(sqlite3_column_bytes(handle, Int32(column)))
        guard n > 0, let p = sqlite3_column_blob(handle, Int32(column)) else { return [] }
        return Array(UnsafeRawBufferPointer(start: p, count: n))
    }

    /// Makes the statement ready to bind and run again.
    package func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// Binds `values`, runs to the end, and resets.
    package func run(_ values: [SQLiteValue]) throws {
        try bind(values)
        while try step() {}
        reset()
    }
}

/// Stops the statement a connection runs, from any thread (a cancelled
/// task's handler), and only the statement of the run it was asked for:
/// a run marks itself running, and an interrupt for a run that is not the
/// one running (it finished, or waits its turn) does nothing.
package final class SQLiteInterrupter: @unchecked Sendable {
    private let handle: OpaquePointer
    private let lock = NSLock()
    /// The run whose statements the connection runs now, and the next number.
    private var running: UInt64?
    private var next: UInt64 = 0
    /// Set when the connection closes: the handle is gone.
    private var closed = false

    fileprivate init(_ handle: OpaquePointer) {
        self.handle = handle
    }

    /// Marks a run as the connection's current one.
    package func begin() -> UInt64 {
        lock.withLock {
            next += 1
            running = next
            return next
        }
    }

    /// Ends run `run`: interrupts for it do nothing from now on.
    package func end(_ run: UInt64) {
        lock.withLock { if running == run { running = nil } }
    }

    /// Makes the statement of run `run` fail with SQLite's interrupt
    /// error, if it is the one running.
    package func interrupt(_ run: UInt64) {
        lock.withLock { if running == run && !closed { sqlite3_interrupt(handle) } }
    }

    fileprivate func close() {
        lock.withLock { closed = true }
    }
}
