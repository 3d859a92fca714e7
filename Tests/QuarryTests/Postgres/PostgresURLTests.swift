#if Postgres
import Foundation
import QuarryPostgres
import Testing

/// Parsing `postgres://` URLs: what they name, and hostile or mistyped
/// ones refused in one line instead of read with a default in their place.
/// No server needed.
struct PostgresURLTests {
    @Test func namesItsParts() throws {
        let u = try PostgresURL("postgresql://al%40ice:p%2Fw@db.example:6543/quarry%20store?sslmode=verify-full&sslrootcert=/ca.pem")
        #expect(u.user == "al@ice")
        #expect(u.password == "p/w")
        #expect(u.host == "db.example")
        #expect(u.port == 6543)
        #expect(u.database == "quarry store")
        #expect(u.sslMode == "verify-full")
        #expect(u.sslRootCertificate == "/ca.pem")
        #expect(try PostgresURL("postgres://u@h/db").port == 5432)
        #expect(try PostgresURL("postgres://u@h:/db").port == 5432)
        #expect(try PostgresURL("postgres://u@[::1]:5999/db").port == 5999)
        let socket = try PostgresURL("postgres://u@localhost:5433/db?host=/tmp/pg")
        #expect(socket.socketFolder == "/tmp/pg" && socket.host == nil && socket.port == 5433)
    }

    /// Every refusal is one short line, whatever the input's length.
    @Test(arguments: [
        ("postgres://u@h:99999999999999999999/db", "out of range"),
        ("postgres://u@h:65536/db", "out of range"),
        ("postgres://u@h:0/db", "out of range"),
        ("postgres://u@[::1]:99999999999999999999/db", "out of range"),
        ("postgres://u@h/db?sslmod=require", "unknown URL parameter sslmod"),
        ("postgres://u@h/db?connect_timeout=5", "unknown URL parameter connect_timeout"),
        ("postgres://u@h/db?sslmode=disable&sslmode=require", "given twice"),
        ("postgres://u@h/db?sslmode=", "is not one of"),
        ("postgres://%ff@h/db", "user has a percent-escape"),
        ("postgres://u:%c3%28@h/db", "password has a percent-escape"),
        ("postgres://u@h/%ff%fe", "database has a percent-escape"),
        ("postgres://u@h/", "names no database"),
        ("postgres:///db", "names no user"),
        ("postgres://u@h/db?" + String(repeating: "x", count: 100_000) + "=1", "unknown URL parameter"),
        ("postgres://u@h:-1/" + String(repeating: "d", count: 100_000), "not a postgres:// URL"),
    ])
    func refuses(_ text: String, _ why: String) {
        let error = #expect(throws: PostgresStoreError.self) { try PostgresURL(text) }
        #expect(error?.message.contains(why) == true, "\(error?.message ?? "no error")")
        #expect((error?.message.count ?? 0) < 200 && error?.message.contains("\n") == false)
    }
}
#endif
