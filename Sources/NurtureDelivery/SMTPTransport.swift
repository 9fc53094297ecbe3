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
    private let pool: ConnectionPool
    private let limiter: RateLimiter?
    // Set once the server asked to slow down; read and written under `lock`.
    private var backingOff: String?
    private let lock = NSLock()

    private static let globalInit: Int32 = nurture_smtp_global_init()

    public init(settings: SMTPSettings) {
        _ = Self.globalInit
        self.settings = settings
        pool = ConnectionPool(settings: settings)
        limiter = settings.ratePerSecond.flatMap { $0 > 0 ? RateLimiter(perSecond: $0) : nil }
    }

    public var name: String { settings.redactedURL }

    public var maxConcurrentDeliveries: Int { max(1, settings.maxConnections) }

    public func deliver(_ message: OutgoingMessage) async -> DeliveryResult {
        if let reason = lock.withLock({ backingOff }) {
            return .transient("not tried: the server asked to slow down earlier in this tick (\(reason))")
        }
        let connection = await pool.acquire()
        let outcome = await connection.send(from: settings.envelopeSender ?? message.envelopeSender, to: message.recipient, data: message.data)
        await pool.release(connection)
        if outcome.isSlowDown || outcome.timedOut {
            let reason = outcome.timedOut ? "no answer \(outcome.stage.words) within \(settings.timeout)" : "SMTP \(outcome.replyCode)"
            lock.withLock { backingOff = backingOff ?? reason }
        }
        // Name the server (never its password) when the whole tick stops because of it.
        if case .fatal(let detail) = outcome.result { return .fatal("\(name): \(detail)") }
        return outcome.result
    }

    public func waitForTurn() async { await limiter?.wait() }

    /// SMTP cannot tell afterwards whether a message arrived.
    public func wasDelivered(messageID: String) async -> Bool? { nil }

    /// Closes the connections (QUIT).
    public func finish() async { await pool.closeAll() }
}

/// One libcurl easy handle, used by one thread at a time (its own serial queue).
final class SMTPConnection: @unchecked Sendable {
    private let handle: UnsafeMutableRawPointer?
    private let queue: DispatchQueue

    init(settings: SMTPSettings, index: Int) {
        queue = DispatchQueue(label: "nurture.smtp.\(index)")
        handle = Self.open(settings)
    }

    private static func open(_ settings: SMTPSettings) -> UnsafeMutableRawPointer? {
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

    func send(from: String, to: String, data: String) async -> SMTPOutcome {
        await withCheckedContinuation { continuation in
            queue.async { [self] in
                guard let handle else {
                    continuation.resume(returning: SMTPOutcome(curlCode: 2, replyCode: 0, stage: .connect, error: "libcurl could not start"))
                    return
                }
                var result = nurture_smtp_result()
                var body = data
                body.withUTF8 { bytes in
                    from.withCString { sender in
                        to.withCString { recipient in
                            bytes.withMemoryRebound(to: CChar.self) { chars in
                                nurture_smtp_send(handle, sender, recipient, chars.baseAddress, chars.count, &result)
                            }
                        }
                    }
                }
                continuation.resume(returning: SMTPOutcome(
                    curlCode: Int(result.curl_code), replyCode: result.smtp_code, replyText: Self.text(result.reply_text),
                    stage: SMTPStage(rawValue: Int(result.stage)) ?? .connect, dotUnread: result.dot_unread != 0,
                    error: Self.text(result.error), cause: Self.text(result.cause)))
            }
        }
    }

    /// A NUL-terminated C buffer as text.
    private static func text<T>(_ buffer: T) -> String {
        withUnsafeBytes(of: buffer) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
    }

    func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async { [self] in
                nurture_smtp_close(handle)
                continuation.resume()
            }
        }
    }
}

private func withOptionalCString<T>(_ text: String?, _ body: (UnsafePointer<CChar>?) -> T) -> T {
    guard let text else { return body(nil) }
    return text.withCString { body($0) }
}

/// Connections handed out one message at a time; opened lazily up to the maximum.
actor ConnectionPool {
    private let settings: SMTPSettings
    private var idle: [SMTPConnection] = []
    private var all: [SMTPConnection] = []
    private var waiting: [CheckedContinuation<SMTPConnection, Never>] = []

    init(settings: SMTPSettings) {
        self.settings = settings
    }

    func acquire() async -> SMTPConnection {
        if let connection = idle.popLast() { return connection }
        if all.count < max(1, settings.maxConnections) {
            let connection = SMTPConnection(settings: settings, index: all.count)
            all.append(connection)
            return connection
        }
        return await withCheckedContinuation { waiting.append($0) }
    }

    func release(_ connection: SMTPConnection) {
        if waiting.isEmpty {
            idle.append(connection)
        } else {
            waiting.removeFirst().resume(returning: connection)
        }
    }

    func closeAll() async {
        for connection in all { await connection.close() }
        all.removeAll()
        idle.removeAll()
    }
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
