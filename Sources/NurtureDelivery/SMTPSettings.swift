import Foundation

/// How to reach the SMTP server, from `nurture.yml` and the environment.
public struct SMTPSettings: Sendable, Hashable {
    public enum StartTLS: String, Sendable, Hashable, CaseIterable {
        /// Refuse to send unless the connection is upgraded to TLS.
        case required
        /// Upgrade when the server offers it.
        case optional
        case off
    }

    /// `smtp://[user:pass@]host[:port]` or `smtps://…` (TLS from the first byte).
    public var url: String
    public var startTLS: StartTLS
    public var username: String?
    public var password: String?
    /// A CA bundle to trust besides the system's (a private or test CA).
    public var caFile: String?
    public var connectTimeout: Duration = .seconds(10)
    /// For one whole message, from connecting (when needed) to the final reply.
    public var timeout: Duration = .seconds(60)
    /// `MAIL FROM`; nil uses each campaign's From address.
    public var envelopeSender: String?
    public var maxConnections = 4
    /// Messages per second across all connections; nil for no limit.
    public var ratePerSecond: Double?
    /// libcurl's protocol trace on stderr.
    public var verbose = false
    /// Where each tick journals the messages it starts and the server accepts
    /// (`SendJournal`), so that after a crash only those on the wire are in doubt; nil:
    /// no journal (a store shared by senders on several machines).
    public var journalDirectory: String?

    public init(url: String, startTLS: StartTLS? = nil) {
        self.url = url
        self.startTLS = startTLS ?? Self.defaultStartTLS(for: url)
    }

    /// `required`, except towards a server on this machine (a development relay, a
    /// test server), where it is `optional`.
    public static func defaultStartTLS(for url: String) -> StartTLS {
        guard let host = URLComponents(string: url)?.host?.lowercased() else { return .required }
        return host == "localhost" || host.hasPrefix("127.") || host == "::1" || host == "[::1]" ? .optional : .required
    }

    /// The URL without its password, for messages and logs.
    public var redactedURL: String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? url
    }
}
