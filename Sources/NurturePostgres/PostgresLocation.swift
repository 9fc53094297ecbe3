import Foundation
import NurtureCore
import PostgresNIO

/// Where the PostgreSQL store is: `postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=…]`.
public struct PostgresLocation: Sendable, Equatable {
    public enum TLSMode: String, Sendable {
        case disable, prefer, require
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
        guard Self.isPostgresURL(url), let components = URLComponents(string: url), let host = components.host, !host.isEmpty else {
            throw StoreError(.failed, "the store URL must look like postgres://USER@HOST:PORT/DATABASE, not '\(Self.redacted(url))'")
        }
        guard let user = components.user, !user.isEmpty else {
            throw StoreError(.failed, "the store URL names no user: write postgres://USER@HOST:PORT/DATABASE")
        }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        guard !database.isEmpty else {
            throw StoreError(.failed, "the store URL names no database: write postgres://USER@HOST:PORT/DATABASE")
        }
        if components.password != nil && !passwordAllowed {
            throw StoreError(.failed, "a password in --db or nurture.yml would be seen by others (ps, git); set PGPASSWORD, or put the whole URL in NURTURE_DB")
        }
        var tls = TLSMode.prefer
        for item in components.queryItems ?? [] {
            guard item.name == "sslmode" else {
                throw StoreError(.failed, "the store URL has an unknown parameter '\(item.name)'; only sslmode is understood")
            }
            switch item.value ?? "" {
            case "disable": tls = .disable
            case "allow", "prefer": tls = .prefer
            case "require", "verify-ca", "verify-full": tls = .require
            default: throw StoreError(.failed, "sslmode must be disable, prefer or require, not '\(item.value ?? "")'")
            }
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
        case .prefer: tlsSetting = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        case .require: tlsSetting = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: tlsSetting)
        configuration.options.connectTimeout = .seconds(10)
        return configuration
    }

    var clientConfiguration: PostgresClient.Configuration {
        let tlsSetting: PostgresClient.Configuration.TLS
        switch tls {
        case .disable: tlsSetting = .disable
        case .prefer: tlsSetting = .prefer(.makeClientConfiguration())
        case .require: tlsSetting = .require(.makeClientConfiguration())
        }
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: tlsSetting)
        configuration.options.connectTimeout = .seconds(10)
        return configuration
    }
}
