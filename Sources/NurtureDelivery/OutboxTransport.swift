import Foundation
import NurtureCore

/// The embedded default when no SMTP server is configured: each message becomes an
/// `.eml` file in a folder, named by its Message-ID.
///
/// A file appears whole or not at all (written aside, then renamed), so after a crash
/// its presence says exactly whether the message was delivered.
public struct OutboxTransport: Transport {
    public let directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    public var name: String { "the outbox folder \(directory.path)" }

    public func deliver(_ message: OutgoingMessage) async -> DeliveryResult {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let final = file(for: message.messageID)
            let partial = directory.appendingPathComponent(".\(final.lastPathComponent).\(UUID().uuidString).tmp")
            try Data(message.data.utf8).write(to: partial)
            // rename(2) is atomic within a file system.
            if rename(partial.path, final.path) != 0 {
                let reason = String(cString: strerror(errno))
                try? FileManager.default.removeItem(at: partial)
                return .transient("cannot write \(final.path): \(reason)")
            }
            return .delivered
        } catch {
            return .transient("cannot write to \(directory.path): \(error.localizedDescription)")
        }
    }

    public func wasDelivered(messageID: String) async -> Bool? {
        FileManager.default.fileExists(atPath: file(for: messageID).path)
    }

    /// `nurture.12.welcome@acme.example` → `nurture.12.welcome@acme.example.eml`; anything
    /// but letters, digits and `.-_@` becomes `_`, so no id can name a path elsewhere.
    func file(for messageID: String) -> URL {
        let safe = String(messageID.map { $0.isASCII && ($0.isLetter || $0.isNumber || ".-_@".contains($0)) ? $0 : "_" })
        return directory.appendingPathComponent(safe + ".eml")
    }
}

/// Sends nothing: `run --dry-run` uses it to say what would go to whom.
public final class DryRunTransport: Transport, @unchecked Sendable {
    private let lock = NSLock()
    private var seen: [OutgoingMessage] = []

    public init() {}

    public var name: String { "nowhere (dry run)" }

    public var messages: [OutgoingMessage] { lock.withLock { seen } }

    public func deliver(_ message: OutgoingMessage) async -> DeliveryResult {
        lock.withLock { seen.append(message) }
        return .delivered
    }

    public func wasDelivered(messageID: String) async -> Bool? { nil }
}

/// Waits before each delivery; used by tests to make a tick slow enough to interrupt.
public struct SlowTransport: Transport {
    public let wrapped: any Transport
    public let delay: Duration

    public init(wrapped: any Transport, delay: Duration) {
        self.wrapped = wrapped
        self.delay = delay
    }

    public var name: String { wrapped.name }

    public func deliver(_ message: OutgoingMessage) async -> DeliveryResult {
        try? await Task.sleep(for: delay)
        return await wrapped.deliver(message)
    }

    public func wasDelivered(messageID: String) async -> Bool? { await wrapped.wasDelivered(messageID: messageID) }
}
