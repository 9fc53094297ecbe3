import Foundation
import NurtureCore

/// A transport that records what it is given and answers from a script: the first
/// answers in order, then `otherwise`. For send-loop tests that need failures on cue.
public final class ScriptedTransport: Transport, @unchecked Sendable {
    private let lock = NSLock()
    private var script: [DeliveryResult]
    private var received: [OutgoingMessage] = []
    private var delivered: Set<String> = []
    public var otherwise: DeliveryResult

    public init(_ script: [DeliveryResult] = [], otherwise: DeliveryResult = .delivered) {
        self.script = script
        self.otherwise = otherwise
    }

    public var name: String { "scripted" }

    /// Every message handed over, whatever the answer was.
    public var messages: [OutgoingMessage] { lock.withLock { received } }

    /// Messages answered with `.delivered`.
    public var deliveredIDs: Set<String> { lock.withLock { delivered } }

    public func setScript(_ results: [DeliveryResult], otherwise: DeliveryResult = .delivered) {
        lock.withLock {
            script = results
            self.otherwise = otherwise
        }
    }

    public func deliver(_ message: OutgoingMessage) async -> DeliveryResult {
        lock.withLock {
            received.append(message)
            let result = script.isEmpty ? otherwise : script.removeFirst()
            if result == .delivered { delivered.insert(message.messageID) }
            return result
        }
    }

    public func wasDelivered(messageID: String) async -> Bool? { nil }
}
