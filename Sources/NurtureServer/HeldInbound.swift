import NIOCore

/// What a handler that answers requests itself holds back while an answer is being
/// recorded: the events that came after the request (the client closing its side), and
/// a read asked for meanwhile. Both go on once the answer is written, in that order.
struct HeldInbound {
    private var events: [Any] = []
    var readWaiting = false

    var hasEvents: Bool { !events.isEmpty }

    mutating func hold(_ event: Any) {
        events.append(event)
    }

    /// Forgets everything held: the connection closed.
    mutating func drop() {
        events.removeAll()
        readWaiting = false
    }

    /// Passes the held events on, then the read asked for.
    mutating func release(_ context: ChannelHandlerContext) {
        let released = events
        events = []
        for event in released { context.fireUserInboundEventTriggered(event) }
        if readWaiting {
            readWaiting = false
            context.read()
        }
    }
}
