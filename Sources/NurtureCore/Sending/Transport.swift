/// A message ready for the wire: the envelope and the RFC 5322 text.
public struct OutgoingMessage: Sendable, Hashable {
    /// SMTP `MAIL FROM` (may differ from the `From:` header).
    public var envelopeSender: String
    /// This message's own return path (VERP: `bounces+TOKEN@domain`), used before the
    /// transport's configured envelope sender and `envelopeSender`; nil: none.
    public var returnPath: String?
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
    /// Never reached the server (queued behind a reply that told us to slow down, or
    /// not handed over): tried later, and not counted as an attempt (issue 41.3).
    case untried(String)
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
    /// Queues `message` to go out as soon as a connection is free, asking `check` right
    /// before handing it over; nil when `check` said no (nothing was sent). A transport
    /// with connections of its own starts the next message the moment one is free,
    /// without waiting for the send loop.
    func deliver(_ message: OutgoingMessage, checkingFirst check: @escaping HandOverCheck) async throws
        -> DeliveryResult?
    /// `deliver(_:checkingFirst:)` without waiting: `done` is called, on any thread, with
    /// what it would have returned. A transport that drives its connections from a thread
    /// of its own calls it from there, so the send loop wakes once for all the messages
    /// that finished together rather than once per message.
    func submit(
        _ message: OutgoingMessage, checkingFirst check: @escaping HandOverCheck,
        then done: @escaping @Sendable (Result<DeliveryResult?, any Error>) -> Void)
    /// Whether a message whose sending was interrupted did arrive: true or false when the
    /// transport can tell (the outbox can), nil when it cannot (SMTP cannot).
    func wasDelivered(messageID: String) async -> Bool?
    /// How many messages the send loop may hand over at once (SMTP: one per connection).
    var maxConcurrentDeliveries: Int { get }
    /// Whether messages given with `deliver(_:checkingFirst:)` wait in the transport for
    /// a free connection (SMTP), so the send loop may give each connection its next one
    /// ahead; false: the send loop gives one message at a time per connection.
    var queuesMessages: Bool { get }
    /// Waits until the next message may be handed over (a rate limit). The send loop calls
    /// it before admitting a message, so the lead's status is checked after the wait.
    func waitForTurn() async
    /// Called at the end of a tick (SMTP closes its connections).
    func finish() async
}

/// Whether a message may still be handed over, asked right before it is: false when its
/// lead has left since it was admitted or the tick is stopping.
public typealias HandOverCheck = @Sendable () throws -> Bool

extension Transport {
    public func deliver(_ message: OutgoingMessage, checkingFirst check: @escaping HandOverCheck) async throws
        -> DeliveryResult?
    {
        guard try check() else { return nil }
        return await deliver(message)
    }

    public func submit(
        _ message: OutgoingMessage, checkingFirst check: @escaping HandOverCheck,
        then done: @escaping @Sendable (Result<DeliveryResult?, any Error>) -> Void
    ) {
        Task {
            do {
                done(.success(try await deliver(message, checkingFirst: check)))
            } catch {
                done(.failure(error))
            }
        }
    }

    public var maxConcurrentDeliveries: Int { 1 }
    public var queuesMessages: Bool { false }
    public func waitForTurn() async {}
    public func finish() async {}
}
