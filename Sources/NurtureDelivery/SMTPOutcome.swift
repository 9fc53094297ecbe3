import NurtureCore

/// How far a send got in the SMTP conversation (RFC 5321 §3): the last command written.
/// The raw values are the shim's `nurture_smtp_stage` (CCurlShim.h), in the same order.
public enum SMTPStage: Int, Sendable, Hashable, Comparable {
    case connect = 0
    case greeting, ehlo, startTLS, auth, mail, rcpt, data, body, dot

    public static func < (lhs: SMTPStage, rhs: SMTPStage) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Before MAIL FROM the conversation is about the server and us, never the recipient.
    public var concernsTheServer: Bool { self < .mail }

    var words: String {
        switch self {
        case .connect: "connecting"
        case .greeting: "at the greeting"
        case .ehlo: "after EHLO"
        case .startTLS: "at STARTTLS"
        case .auth: "at AUTH"
        case .mail: "at MAIL FROM"
        case .rcpt: "at RCPT TO"
        case .data: "at DATA"
        case .body: "while sending the message"
        case .dot: "after the final dot"
        }
    }
}

/// What libcurl reported for one message, and what that means for the message.
public struct SMTPOutcome: Sendable, Hashable {
    public var curlCode: Int
    /// The last SMTP reply code read in this send (0 when none was read).
    public var replyCode: Int
    /// The last reply line, for people.
    public var replyText: String
    public var stage: SMTPStage
    /// A write failed: the final dot cannot have been read. (A reset while waiting for the
    /// reply is no proof of that: the message may have been queued before it.)
    public var dotUnread: Bool
    public var error: String
    /// The system's reason for a failed connection ("Connection refused"), or "".
    public var cause: String

    public init(
        curlCode: Int, replyCode: Int, replyText: String = "", stage: SMTPStage, dotUnread: Bool = false, error: String,
        cause: String = ""
    ) {
        self.cause = cause
        self.curlCode = curlCode
        self.replyCode = replyCode
        self.replyText = replyText
        self.stage = stage
        self.dotUnread = dotUnread
        self.error = error
    }

    /// Whether the server asked us to slow down (421, or a 4xx that says so).
    public var isSlowDown: Bool {
        guard replyCode / 100 == 4 else { return false }
        if replyCode == 421 { return true }
        let text = (error + " " + replyText).lowercased()
        return ["rate", "too many", "slow down", "throttl", "limit"].contains { text.contains($0) }
    }

    /// The server stopped answering: trying the next message would only wait as long again.
    public var timedOut: Bool { curlCode == Curl.operationTimedOut }

    /// libcurl's codes this needs (curl/curl.h).
    enum Curl {
        static let ok = 0, unsupportedProtocol = 1, malformedURL = 3, operationTimedOut = 28, sslConnect = 35
        static let sslCertProblem = 58, sslCipher = 59, peerVerification = 60, useSSLFailed = 64, loginDenied = 67
        static let caCertBadFile = 77, authError = 94
        /// Credentials, TLS or configuration: every message would fail the same way.
        static let configuration: Set<Int> = [
            unsupportedProtocol, malformedURL, sslConnect, sslCertProblem, sslCipher, peerVerification, useSSLFailed,
            loginDenied, caCertBadFile, authError,
        ]
    }

    /// An error reply (4xx/5xx) to the stage's own command, as opposed to a connection
    /// that failed with only positive replies read (such as DATA's 354).
    private var errorReply: Int? { replyCode >= 400 ? replyCode : nil }

    /// For people: what failed, where in the conversation, and the server's own words.
    public var detail: String {
        let said = replyText.isEmpty ? (replyCode > 0 ? "SMTP \(replyCode)" : "") : replyText
        let what =
            errorReply != nil && !said.isEmpty
            ? "the server said \"\(said)\"" : cause.isEmpty ? error : "\(cause) (\(error))"
        return "\(stage.words): \(what) [curl \(curlCode)]"
    }

    /// The classification by stage (RFC 5321 §4.2, §4.5.3.1.10; RFC 1047 for the dot).
    /// `.fatal` stops the tick and marks nothing: the server, not the message, is at fault.
    public var result: DeliveryResult {
        if curlCode == Curl.ok { return .delivered }
        if Curl.configuration.contains(curlCode) || replyCode == 530 || replyCode == 535 { return .fatal(detail) }
        // Refused or unreachable before MAIL FROM: the server is down or refuses us, whatever
        // the code says (a 554 greeting, a 5xx to EHLO are no verdict on any recipient).
        if stage.concernsTheServer { return .fatal(detail) }
        switch (stage, errorReply) {
        case (_, let code?) where code < 500:
            return .transient(detail)
        case (.mail, 552?):
            // SIZE: this message is larger than the server takes.
            return .permanent(detail, recipientRefused: false)
        case (.mail, _?):
            // The server refuses our sender: every message would be refused.
            return .fatal(detail)
        case (.rcpt, 552?):
            // §4.5.3.1.10: "mailbox full" at RCPT is temporary in practice.
            return .transient(detail)
        case (.rcpt, _?):
            return .permanent(detail, recipientRefused: true)
        case (_, _?):
            // DATA or the final dot refused: this message, not the lead.
            return .permanent(detail, recipientRefused: false)
        case (.dot, nil) where !dotUnread:
            // RFC 1047: the final dot may have been read and the reply lost; resending
            // could deliver a second copy.
            return .unknown(detail)
        case (_, nil):
            // The connection failed before the dot could be read: nothing was delivered.
            return .transient(detail)
        }
    }
}
