#if Postgres
import Foundation
import Quarry
@testable import QuarryPostgres

/// The PostgreSQL server the tests use: `QUARRY_TEST_POSTGRES_URL` (a
/// database the tests may create databases from; `.ci/postgres` starts a
/// throwaway cluster and sets it). Without it the PostgreSQL tests do not
/// run, unless `QUARRY_REQUIRE_POSTGRES` is set (CI sets it), which makes
/// its absence a failure.
actor PostgresServer {
    static let shared = PostgresServer()
    static let baseURL = ProcessInfo.processInfo.environment["QUARRY_TEST_POSTGRES_URL"]
    static let required = ProcessInfo.processInfo.environment["QUARRY_REQUIRE_POSTGRES"] != nil
    /// Whether the tests that need a server run.
    static let available = baseURL != nil || required

    private var admin: PostgresSource?
    private var loaded: [String: PostgresSource] = [:]

    private func adminSource() async throws -> PostgresSource {
        if let admin { return admin }
        guard let text = Self.baseURL else {
            throw PostgresStoreError("QUARRY_TEST_POSTGRES_URL is not set (source .ci/postgres to start a server)")
        }
        let source = try PostgresSource(url: try PostgresURL(text), maxConnections: 2)
        admin = source
        return source
    }

    /// The URL of a new, empty database.
    func freshDatabase() async throws -> PostgresURL {
        let admin = try await adminSource()
        let name = "quarry_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        _ = try await admin.withConnection { conn in
            try await conn.query(.init(unsafeSQL: "CREATE DATABASE \(name)"), logger: admin.logger)
        }
        var url = admin.url
        url.database = name
        return url
    }

    /// A source over a new database holding `data`.
    func store(_ data: EDN, maxConnections: Int = 16) async throws -> PostgresSource {
        let source = try PostgresSource(url: try await freshDatabase(), maxConnections: maxConnections)
        _ = try await source.load(data)
        return source
    }

    /// One database per dataset, loaded once.
    func source(for data: String) async throws -> PostgresSource {
        if let s = loaded[data] { return s }
        let s = try await store(try EDNReader.readOne(data))
        loaded[data] = s
        return s
    }

    /// Runs SQL on the database of `source`, outside Quarry (another client's write).
    static func execute(_ sql: String, on source: PostgresSource) async throws {
        // One statement a message: postgres-nio prepares what it sends.
        try await source.withConnection { conn in
            for statement in sql.split(separator: ";") where !statement.allSatisfy(\.isWhitespace) {
                try await conn.query(.init(unsafeSQL: String(statement)), logger: source.logger)
            }
        }
    }
}
#endif
