import NurtureCore

/// What libcurl reported for one message, and what that means for the message.
public struct SMTPOutcome: Sendable, Hashable {
    public var curlCode: Int
    /// The last SMTP reply code (0 when none was read).
    public var replyCode: Int
    /// libcurl read the whole message, so the final "." may have reached the server.
    public var bodySent: Bool
    public var error: String

    public init(curlCode: Int, replyCode: Int, bodySent: Bool, error: String) {
        self.curlCode = curlCode
        self.replyCode = replyCode
        self.bodySent = bodySent
        self.error = error
    }

    /// Whether the server asked us to slow down (421, or a 4xx that says so).
    public var isSlowDown: Bool {
        guard replyCode / 100 == 4 else { return false }
        if replyCode == 421 { return true }
        let text = error.lowercased()
        return ["rate", "too many", "slow down", "throttl", "limit"].contains { text.contains($0) }
    }

    /// libcurl's codes this needs (curl/curl.h).
    enum Curl {
        static let ok = 0, unsupportedProtocol = 1, malformedURL = 3, sslConnect = 35, sslCertProblem = 58, sslCipher = 59
        static let peerVerification = 60, useSSLFailed = 64, loginDenied = 67, caCertBadFile = 77, authError = 94
    }

    public var result: DeliveryResult {
        let detail = "\(error) (curl \(curlCode)\(replyCode > 0 ? ", SMTP \(replyCode)" : ""))"
        if curlCode == Curl.ok { return .delivered }
        // Problems with credentials, TLS or configuration stop the tick: every message would fail the same way.
        if [Curl.loginDenied, Curl.authError, Curl.sslConnect, Curl.sslCertProblem, Curl.sslCipher, Curl.peerVerification,
            Curl.useSSLFailed, Curl.caCertBadFile, Curl.unsupportedProtocol, Curl.malformedURL].contains(curlCode)
            || replyCode == 530 || replyCode == 535
        {
            return .fatal(detail)
        }
        switch replyCode / 100 {
        case 4:
            return .transient(detail)
        case 5:
            if error.contains("RCPT") { return .permanent(detail, recipientRefused: true) }
            // The server refuses our sender: every message would be refused.
            if error.contains("MAIL") { return .fatal(detail) }
            return .permanent(detail, recipientRefused: false)
        default:
            // RFC 1047: once the final "." may have gone out, a lost reply leaves the
            // outcome unknown; resending could deliver a second copy.
            return bodySent ? .unknown(detail) : .transient(detail)
        }
    }
}
