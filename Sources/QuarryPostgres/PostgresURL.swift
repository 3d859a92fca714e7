#if Postgres
import Foundation
import PostgresNIO

/// Where a PostgreSQL store is: a `postgres://` (or `postgresql://`) URL,
/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=MODE[&sslrootcert=FILE]]`,
/// or with `?host=/path/to/socket/folder` for a Unix socket (never TLS).
///
/// `sslmode` means what it means to libpq: `disable` (no TLS), `prefer`
/// (TLS when the server offers it, the default), `require` (TLS or no
/// connection; the certificate is not checked), `verify-ca` (the
/// certificate must chain to a trusted root) and `verify-full` (and name
/// the host). The roots are the system's, or the PEM file `sslrootcert`.
public struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    /// The role to connect as.
    public var user: String
    /// Its password, if the server asks for one.
    public var password: String?
    /// A TCP host, or nil with ``socketFolder``.
    public var host: String?
    /// The server's port (5432 by default; also in the socket's name).
    public var port: Int
    /// The folder of the server's Unix socket (`.s.PGSQL.PORT` in it).
    public var socketFolder: String?
    /// The database holding the store.
    public var database: String
    /// TLS: `disable`, `prefer` (the default), `require`, `verify-ca` or `verify-full`.
    public var sslMode: String
    /// A PEM file of the roots a server's certificate must chain to
    /// (`verify-ca`, `verify-full`); nil: the system's.
    public var sslRootCertificate: String?

    static let sslModes = ["disable", "prefer", "require", "verify-ca", "verify-full"]

    /// Whether `text` names a PostgreSQL store (its scheme), whatever else it holds.
    public static func isPostgres(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// The query parameters a URL may carry. Any other is an error: a
    /// misspelled `sslmode` ignored would connect without the TLS it asked for.
    static let parameters = ["sslmode", "sslrootcert", "host"]

    /// Parses `text`; the error says what is wrong with it in one line.
    /// The user, password and database are percent-decoded; a port,
    /// parameter or percent-escape that does not parse is an error, never
    /// left out for a default.
    public init(_ text: String) throws {
        guard Self.isPostgres(text), let url = URLComponents(string: text) else {
            throw PostgresStoreError("not a postgres:// URL: \(Self.excerpt(text))")
        }
        for (part, encoded) in [("user", url.percentEncodedUser), ("password", url.percentEncodedPassword),
                                ("database", url.percentEncodedPath)] {
            if let encoded, encoded.removingPercentEncoding == nil {
                throw PostgresStoreError("the URL's \(part) has a percent-escape that is not UTF-8 text")
            }
        }
        guard let user = url.user, !user.isEmpty else {
            throw PostgresStoreError("the URL names no user (postgres://USER@HOST/DATABASE)")
        }
        self.user = user
        password = url.password
        let path = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        guard !path.isEmpty, !path.contains("/") else {
            throw PostgresStoreError("the URL names no database (postgres://USER@HOST/DATABASE)")
        }
        database = path
        port = try Self.port(of: text)
        var query: [String: String] = [:]
        for item in url.queryItems ?? [] {
            guard Self.parameters.contains(item.name) else {
                throw PostgresStoreError("unknown URL parameter \(Self.excerpt(item.name)) (known: "
                                         + Self.parameters.joined(separator: ", ") + ")")
            }
            guard query.updateValue(item.value ?? "", forKey: item.name) == nil else {
                throw PostgresStoreError("the URL parameter \(item.name) is given twice")
            }
        }
        sslMode = query["sslmode"] ?? "prefer"
        guard Self.sslModes.contains(sslMode) else {
            throw PostgresStoreError("sslmode \(Self.excerpt(sslMode)) is not one of " + Self.sslModes.joined(separator: ", "))
        }
        sslRootCertificate = query["sslrootcert"].flatMap { $0.isEmpty ? nil : $0 }
        if let folder = query["host"], folder.hasPrefix("/") {
            socketFolder = folder
            host = nil
        } else {
            guard let h = url.host, !h.isEmpty else { throw PostgresStoreError("the URL names no host") }
            host = h
            socketFolder = nil
        }
    }

    /// The port the authority of `text` names (5432 when it names none),
    /// read from the text: `URLComponents` gives nil both for no port and
    /// for one past `Int`'s range.
    private static func port(of text: String) throws -> Int {
        let afterScheme = text[text.range(of: "://")!.upperBound...]
        let authority = afterScheme.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let hostAndPort = authority.lastIndex(of: "@").map { authority[authority.index(after: $0)...] } ?? authority
        // An IPv6 host is bracketed: a port follows its closing bracket.
        let afterHost = hostAndPort.lastIndex(of: "]").map { hostAndPort[hostAndPort.index(after: $0)...] } ?? hostAndPort
        guard let colon = afterHost.firstIndex(of: ":") else { return 5432 }
        let digits = afterHost[afterHost.index(after: colon)...]
        if digits.isEmpty { return 5432 }
        guard digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw PostgresStoreError("the URL's port \(excerpt(String(digits))) is not a number")
        }
        guard let port = Int(digits), (1...65535).contains(port) else {
            throw PostgresStoreError("port \(excerpt(String(digits))) is out of range")
        }
        return port
    }

    /// `text` cut short for an error message: a hostile URL may be long.
    private static func excerpt(_ text: String) -> String {
        text.count <= 80 ? text : String(text.prefix(80)) + "..."
    }

    /// The URL without its password.
    public var description: String {
        "postgres://\(user)@\(host ?? "localhost"):\(port)/\(database)" + (socketFolder.map { "?host=\($0)" } ?? "")
    }

    /// The configuration of one connection to this URL (as the pool's
    /// connections are made): for a connection of one's own to the store.
    public func connectionConfiguration() throws -> PostgresConnection.Configuration {
        var c: PostgresConnection.Configuration
        if let socketFolder {
            c = .init(unixSocketPath: socketFolder + "/.s.PGSQL.\(port)", username: user, password: password,
                      database: database)
        } else {
            let tls: PostgresConnection.Configuration.TLS = switch (sslMode, try tlsConfiguration()) {
            case ("prefer", let t?): .prefer(try NIOSSLContext(configuration: t))
            case (_, let t?): .require(try NIOSSLContext(configuration: t))
            case (_, nil): .disable
            }
            c = .init(host: host!, port: port, username: user, password: password, database: database, tls: tls)
        }
        c.options.connectTimeout = .seconds(10)
        return c
    }

    /// The client configuration for this URL.
    func configuration() throws -> PostgresClient.Configuration {
        var c: PostgresClient.Configuration
        if let socketFolder {
            c = .init(unixSocketPath: socketFolder + "/.s.PGSQL.\(port)", username: user, password: password,
                      database: database)
        } else {
            let tls: PostgresClient.Configuration.TLS = switch (sslMode, try tlsConfiguration()) {
            case ("prefer", let t?): .prefer(t)
            case (_, let t?): .require(t)
            case (_, nil): .disable
            }
            c = .init(host: host!, port: port, username: user, password: password, database: database, tls: tls)
        }
        c.options.connectTimeout = .seconds(10)
        return c
    }

    /// The TLS configuration `sslmode` asks for; nil for `disable`.
    private func tlsConfiguration() throws -> TLSConfiguration? {
        var t = TLSConfiguration.makeClientConfiguration()
        switch sslMode {
        case "disable": return nil
        case "verify-full": t.certificateVerification = .fullVerification
        case "verify-ca": t.certificateVerification = .noHostnameVerification
        default: t.certificateVerification = .none
        }
        if let sslRootCertificate {
            guard FileManager.default.isReadableFile(atPath: sslRootCertificate) else {
                throw PostgresStoreError("sslrootcert \(sslRootCertificate) cannot be read")
            }
            t.trustRoots = .file(sslRootCertificate)
        }
        return t
    }
}
#endif
