import Foundation
import NurtureCore
import PostgresNIO

/// Where the PostgreSQL store is: `postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=…]`.
public struct PostgresLocation: Sendable, Equatable {
    /// libpq's `sslmode` values. `allow` and `prefer` both try TLS first and fall back
    /// to plain text; from `require` on the connection is TLS or nothing, and Nurture
    /// always verifies the certificate (stricter than libpq's `require`, which does not):
    /// `verify-ca` against the system's roots without the host name, the others with it.
    public enum TLSMode: String, Sendable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var tls: TLSMode

    public static func isPostgresURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// Parses `url`. A password written in it is accepted only when `passwordAllowed`
    /// (the URL came from the environment): a password in `--db` shows in `ps`, one in
    /// nurture.yml ends up in git. `environmentPassword` (`PGPASSWORD`) fills it otherwise.
    public init(url: String, passwordAllowed: Bool, environmentPassword: String?) throws {
        guard Self.isPostgresURL(url), let components = URLComponents(string: url), let host = components.host,
            !host.isEmpty
        else {
            throw StoreError(
                .failed, "the store URL must look like postgres://USER@HOST:PORT/DATABASE, not '\(Self.redacted(url))'")
        }
        guard let user = components.user, !user.isEmpty else {
            throw StoreError(.failed, "the store URL names no user: write postgres://USER@HOST:PORT/DATABASE")
        }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        guard !database.isEmpty else {
            throw StoreError(.failed, "the store URL names no database: write postgres://USER@HOST:PORT/DATABASE")
        }
        if components.password != nil && !passwordAllowed {
            throw StoreError(
                .failed,
                "a password in --db or nurture.yml would be seen by others (ps, git); set PGPASSWORD, or put the whole URL in NURTURE_DB"
            )
        }
        var tls = TLSMode.prefer
        for item in components.queryItems ?? [] {
            guard item.name == "sslmode" else {
                throw StoreError(
                    .failed, "the store URL has an unknown parameter '\(item.name)'; only sslmode is understood")
            }
            guard let mode = TLSMode(rawValue: item.value ?? "") else {
                throw StoreError(
                    .failed,
                    "sslmode must be disable, allow, prefer, require, verify-ca or verify-full (as libpq), not '\(item.value ?? "")'"
                )
            }
            tls = mode
        }
        // URLComponents reads any digits as the port; the network layer would keep only
        // its low 16 bits (99999 would connect to 34463).
        if let port = components.port, !(1...65535).contains(port) {
            throw StoreError(.failed, "the store URL's port must be from 1 to 65535, not \(port)")
        }
        self.host = host
        self.port = components.port ?? 5432
        self.user = user.removingPercentEncoding ?? user
        self.password = components.password.map { $0.removingPercentEncoding ?? $0 } ?? environmentPassword
        self.database = database.removingPercentEncoding ?? database
        self.tls = tls
    }

    /// The URL with any password hidden, for messages.
    public static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? url
    }

    public var description: String { "postgres://\(user)@\(host):\(port)/\(database)" }

    /// For one connection of our own (opening the store, migrating).
    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let tlsSetting: PostgresConnection.Configuration.TLS
        switch tls {
        case .disable: tlsSetting = .disable
        case .allow, .prefer: tlsSetting = .prefer(try NIOSSLContext(configuration: tlsConfiguration))
        case .require, .verifyCA, .verifyFull: tlsSetting = .require(try NIOSSLContext(configuration: tlsConfiguration))
        }
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: tlsSetting)
        configuration.options.connectTimeout = .seconds(10)
        return configuration
    }

    /// Certificates are always verified; `verify-ca` leaves out the host name.
    private var tlsConfiguration: TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if tls == .verifyCA { configuration.certificateVerification = .noHostnameVerification }
        return configuration
    }

    var clientConfiguration: PostgresClient.Configuration {
        let tlsSetting: PostgresClient.Configuration.TLS
        switch tls {
        case .disable: tlsSetting = .disable
        case .allow, .prefer: tlsSetting = .prefer(tlsConfiguration)
        case .require, .verifyCA, .verifyFull: tlsSetting = .require(tlsConfiguration)
        }
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: tlsSetting)
        configuration.options.connectTimeout = .seconds(10)
        return configuration
    }
}
