import NurtureCore

/// Waits before each delivery; used by tests to make a tick slow enough to interrupt.
public struct SlowTransport: Transport {
    public let wrapped: any Transport
    public let delay: Duration

    public init(wrapped: any Transport, delay: Duration) {
        self.wrapped = wrapped
        self.delay = delay
    }

    public var name: String { wrapped.name }
    public var maxConcurrentDeliveries: Int { wrapped.maxConcurrentDeliveries }
    public func waitForTurn() async { await wrapped.waitForTurn() }
    public func finish() async { await wrapped.finish() }

    public func deliver(_ message: OutgoingMessage) async -> DeliveryResult {
        try? await Task.sleep(for: delay)
        return await wrapped.deliver(message)
    }

    public func wasDelivered(messageID: String) async -> Bool? { await wrapped.wasDelivered(messageID: messageID) }
}
