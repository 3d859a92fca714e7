#if Postgres
import Foundation
import PostgresNIO
import Quarry
@testable import QuarryPostgres
import Testing

/// TLS to PostgreSQL, as `sslmode` asks: `.ci/postgres` serves a fresh
/// self-signed certificate on 127.0.0.1 (`QUARRY_TEST_POSTGRES_TLS_URL`,
/// its certificate `QUARRY_TEST_POSTGRES_CA`).
@Suite(.enabled(if: PostgresServer.available, "no PostgreSQL server: QUARRY_TEST_POSTGRES_URL is not set"))
struct PostgresTLSTests {
    static let environment = ProcessInfo.processInfo.environment

    func url(_ query: String) throws -> PostgresURL {
        guard let base = Self.environment["QUARRY_TEST_POSTGRES_TLS_URL"] else {
            throw PostgresStoreError("QUARRY_TEST_POSTGRES_TLS_URL is not set (source .ci/postgres)")
        }
        return try PostgresURL(base + "?" + query)
    }

    var root: String { Self.environment["QUARRY_TEST_POSTGRES_CA"] ?? "" }

    /// Whether the pool's connection to `url` is encrypted, in the server's own words.
    func encrypted(_ url: PostgresURL) async throws -> Bool {
        let source = try PostgresSource(url: url, maxConnections: 1)
        defer { Task { await source.close() } }
        return try await source.withConnection { conn in
            var ssl = false
            for try await on in try await conn.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                                                     logger: source.logger).decode(Bool.self) { ssl = on }
            return ssl
        }
    }

    @Test func eachModeConnectsAsLibpqWould() async throws {
        #expect(try await encrypted(try url("sslmode=require")))
        #expect(try await encrypted(try url("sslmode=prefer")))
        #expect(try await encrypted(try url("sslmode=verify-full&sslrootcert=\(root)")))
        #expect(try await encrypted(try url("sslmode=verify-ca&sslrootcert=\(root)")))
        #expect(try await !encrypted(try url("sslmode=disable")))
    }

    @Test func aCertificateNoTrustedRootSignsIsRefusedInOneLine() async throws {
        // The system's roots do not hold the test's self-signed certificate.
        let error = await #expect(throws: PostgresStoreError.self) {
            _ = try await PostgresSource.open(try url("sslmode=verify-full"), maxConnections: 1)
        }
        #expect(error.map { !$0.message.contains("\n") && !$0.message.isEmpty } == true, "\(String(describing: error))")
    }

    @Test func badTLSSettingsAreURLErrors() {
        #expect(throws: PostgresStoreError.self) { try PostgresURL("postgres://u@h/db?sslmode=sometimes") }
        #expect(throws: PostgresStoreError.self) {
            try PostgresURL("postgres://u@h/db?sslmode=verify-full&sslrootcert=/nonexistent.pem").connectionConfiguration()
        }
    }
}
#endif
