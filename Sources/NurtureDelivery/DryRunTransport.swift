import Foundation
import NurtureCore

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
