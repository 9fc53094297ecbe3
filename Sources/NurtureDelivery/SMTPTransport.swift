import CCurlShim
import Foundation
import NurtureCore

/// Delivers through an SMTP server with libcurl: up to `maxConnections` connections,
/// each kept open across messages, at most `ratePerSecond` messages per second.
///
/// A server that asks to slow down (421, or a 4xx about rates) or stops answering (a
/// timeout) is left alone for the rest of the tick: what is still to be sent is deferred
/// instead of hammering it, or waiting out the timeout once per message.
public final class SMTPTransport: Transport, @unchecked Sendable {
    public let settings: SMTPSettings
    private let limiter: RateLimiter?
    // Read and written under `lock`: the engine of the current tick, started by its
    // first message and closed by `finish`.
    private var engine: SMTPEngine?
    private let lock = NSLock()
    /// Read under `lock`: what the journals of a dead tick say, read once per tick by
    /// the recovery of interrupted sends.
    private var recovery: SendJournal.Recovery?

    private static let globalInit: Int32 = nurture_smtp_global_init()

    public init(settings: SMTPSettings) {
        _ = Self.globalInit
        self.settings = settings
        name = settings.redactedURL
        limiter = settings.ratePerSecond.flatMap { $0 > 0 ? RateLimiter(perSecond: $0) : nil }
    }

    /// The server's URL without its password; made once, as every message's outcome names it.
    public let name: String

    public var maxConcurrentDeliveries: Int { max(1, settings.maxConnections) }

    /// Waiting messages start on the engine's thread as soon as a connection is free.
    public var queuesMessages: Bool { true }

    public func deliver(_ message: OutgoingMessage) async -> DeliveryResult {
        // Without a check nothing is withheld and nothing throws.
        (try? await deliver(message, checking: nil)) ?? .untried("not handed over")
    }

    /// The check is asked on the engine's thread the moment a connection is free, so the
    /// message goes out without a round trip through the send loop.
    public func deliver(_ message: OutgoingMessage, checkingFirst check: @escaping HandOverCheck) async throws
        -> DeliveryResult?
    {
        try await deliver(message, checking: check)
    }

    private func deliver(_ message: OutgoingMessage, checking check: HandOverCheck?) async throws -> DeliveryResult? {
        try await withCheckedThrowingContinuation { continuation in
            submit(message, checking: check) { continuation.resume(with: $0) }
        }
    }

    /// Hands the message to the engine and returns at once; `done` is called on the
    /// engine's thread. The check is asked there the moment a connection is free.
    public func submit(
        _ message: OutgoingMessage, checkingFirst check: @escaping HandOverCheck,
        then done: @escaping @Sendable (Result<DeliveryResult?, any Error>) -> Void
    ) {
        submit(message, checking: check, then: done)
    }

    private func submit(
        _ message: OutgoingMessage, checking check: HandOverCheck?,
        then done: @escaping @Sendable (Result<DeliveryResult?, any Error>) -> Void
    ) {
        let engine = lock.withLock {
            if let engine = self.engine { return engine }
            let journal = settings.journalDirectory.map { SendJournal(directory: URL(fileURLWithPath: $0)) }
            let engine = SMTPEngine(settings: settings, journal: journal) { outcome in
                if case .fatal = outcome.result { return true }
                return outcome.isSlowDown || outcome.timedOut
            }
            self.engine = engine
            return engine
        }
        let name = name
        let timeout = settings.timeout
        engine.submit(
            messageID: message.messageID, from: message.returnPath ?? settings.envelopeSender ?? message.envelopeSender,
            to: message.recipient, data: message.data,
            check: check
        ) { attempt in
            done(attempt.map { sent in sent.map { Self.result(of: $0, server: name, timeout: timeout) } })
        }
    }

    /// What an attempt means for the send loop.
    private static func result(of sent: SMTPEngine.Attempt, server name: String, timeout: Duration) -> DeliveryResult {
        let outcome = sent.outcome
        // Name the server (never its password) when the whole tick stops because of it.
        if case .fatal(let detail) = outcome.result { return .fatal("\(name): \(detail)") }
        guard sent.tried else {
            let reason =
                outcome.timedOut ? "no answer \(outcome.stage.words) within \(timeout)" : "SMTP \(outcome.replyCode)"
            return .untried("not tried: the server asked to slow down earlier in this tick (\(reason))")
        }
        return outcome.result
    }

    public func waitForTurn() async { await limiter?.wait() }

    /// SMTP cannot tell afterwards whether a message arrived, but the journal of the
    /// tick that died can tell which messages it never started (false: due again) and
    /// which the server accepted (true); the rest, on the wire when it died, stay
    /// unknown (nil). Without a trustworthy journal, every one is unknown.
    public func wasDelivered(messageID: String) async -> Bool? {
        guard let directory = settings.journalDirectory else { return nil }
        return lock.withLock {
            if recovery == nil {
                recovery = SendJournal.recover(directory: URL(fileURLWithPath: directory), own: engine?.journal)
            }
            return recovery?.verdict(messageID)
        }
    }

    /// Closes the connections (QUIT). Every outcome is recorded by now: this tick's
    /// journal, and the dead tick's it settled, are removed.
    public func finish() async {
        let (engine, recovered) = lock.withLock {
            defer {
                self.engine = nil
                self.recovery = nil
            }
            return (self.engine, self.recovery)
        }
        await engine?.close()
        engine?.journal?.remove()
        recovered?.removeFiles()
    }
}

/// Opening a libcurl connection handle and reading its results, for `SMTPEngine`.
enum SMTPConnectionHandle {
    static func open(_ settings: SMTPSettings) -> UnsafeMutableRawPointer? {
        func milliseconds(_ duration: Duration) -> Int {
            Int(duration.components.seconds) * 1000 + Int(duration.components.attoseconds / 1_000_000_000_000_000)
        }
        return settings.url.withCString { url in
            withOptionalCString(settings.username) { username in
                withOptionalCString(settings.password) { password in
                    withOptionalCString(settings.caFile) { caFile in
                        var config = nurture_smtp_config(
                            url: url, username: username, password: password,
                            starttls: settings.startTLS == .required ? 2 : settings.startTLS == .optional ? 1 : 0,
                            ca_file: caFile, connect_timeout_ms: milliseconds(settings.connectTimeout),
                            timeout_ms: milliseconds(settings.timeout), verbose: settings.verbose ? 1 : 0)
                        return nurture_smtp_open(&config)
                    }
                }
            }
        }
    }

    static func outcome(_ result: nurture_smtp_result) -> SMTPOutcome {
        SMTPOutcome(
            curlCode: Int(result.curl_code), replyCode: result.smtp_code, replyText: text(result.reply_text),
            stage: SMTPStage(rawValue: Int(result.stage)) ?? .connect, dotUnread: result.dot_unread != 0,
            error: text(result.error), cause: text(result.cause))
    }

    /// A NUL-terminated C buffer as text.
    private static func text<T>(_ buffer: T) -> String {
        withUnsafeBytes(of: buffer) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
    }
}

/// `text` as a C string for `body`, or NULL when there is none.
func withOptionalCString<T>(_ text: String?, _ body: (UnsafePointer<CChar>?) -> T) -> T {
    guard let text else { return body(nil) }
    return text.withCString { body($0) }
}

/// Spaces sends evenly: at most `perSecond` across all connections.
actor RateLimiter {
    private let interval: Duration
    private var next = ContinuousClock.now

    init(perSecond: Double) {
        interval = .nanoseconds(Int64(1_000_000_000 / perSecond))
    }

    func wait() async {
        let now = ContinuousClock.now
        let slot = max(now, next)
        next = slot + interval
        if slot > now { try? await Task.sleep(until: slot, clock: .continuous) }
    }
}
