/// A message ready for the wire: the envelope and the RFC 5322 text.
public struct OutgoingMessage: Sendable, Hashable {
    /// SMTP `MAIL FROM` (may differ from the `From:` header).
    public var envelopeSender: String
    /// SMTP `RCPT TO`: one validated address.
    public var recipient: String
    public var messageID: String
    /// The whole message with CRLF line ends.
    public var data: String
    /// For file names and logs.
    public var campaignID: String
    public var stepID: String
    /// The decoded subject, for logs and dry runs.
    public var subject: String

    public init(
        envelopeSender: String, recipient: String, messageID: String, data: String, campaignID: String, stepID: String,
        subject: String = ""
    ) {
        self.subject = subject
        self.envelopeSender = envelopeSender
        self.recipient = recipient
        self.messageID = messageID
        self.data = data
        self.campaignID = campaignID
        self.stepID = stepID
    }
}

/// What became of one delivery attempt.
public enum DeliveryResult: Sendable, Hashable {
    case delivered
    /// Try again later (a 4xx reply, a timeout, a refused connection).
    case transient(String)
    /// Refused for good; `recipientRefused` (a 5xx to RCPT) marks the lead bounced.
    case permanent(String, recipientRefused: Bool)
    /// The message may or may not have been accepted (the reply to DATA was lost, RFC 1047).
    case unknown(String)
    /// Nothing can be sent this tick (the server is down or refused us before MAIL FROM,
    /// authentication or TLS failed): stop, mark nothing sent or failed, try next tick.
    case fatal(String)
}

/// Where messages go: an outbox folder, an SMTP server.
public protocol Transport: Sendable {
    /// A few words for the summary line ("outbox/ (12 files)", "smtp://mail.example:587").
    var name: String { get }
    func deliver(_ message: OutgoingMessage) async -> DeliveryResult
    /// Whether a message whose sending was interrupted did arrive: true or false when the
    /// transport can tell (the outbox can), nil when it cannot (SMTP cannot).
    func wasDelivered(messageID: String) async -> Bool?
    /// How many messages the send loop may hand over at once (SMTP: one per connection).
    var maxConcurrentDeliveries: Int { get }
    /// Waits until the next message may be handed over (a rate limit). The send loop calls
    /// it before admitting a message, so the lead's status is checked after the wait.
    func waitForTurn() async
    /// Called at the end of a tick (SMTP closes its connections).
    func finish() async
}

extension Transport {
    public var maxConcurrentDeliveries: Int { 1 }
    public func waitForTurn() async {}
    public func finish() async {}
}
