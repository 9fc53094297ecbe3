import NIOCore
import NurtureCore
import Synchronization

/// Gathers the opens and clicks `TrackingFastPath` and `TrackingWirePath` answer on one
/// event loop during one turn of it and hands them to the store's writer together, then
/// lets each answer go once it is recorded. One task and one transaction per request
/// cost more than the rest of a redirect.
final class TrackingBatcher: @unchecked Sendable {
    // Unchecked: `pending` is only touched on `loop` (every method asserts it).
    private let loop: any EventLoop
    private let writer: TrackingWriter
    private var pending: [TrackingWriter.Entry] = []

    init(loop: any EventLoop, writer: TrackingWriter) {
        self.loop = loop
        self.writer = writer
    }

    /// Succeeds once the request is recorded (or failed to be: that is logged, and never
    /// costs the reader the answer). The request is dated now, as it arrives.
    func record(_ link: TrackedLink, seen: TrackingRoutes.Seen) -> EventLoopFuture<Void> {
        loop.preconditionInEventLoop()
        let recorded = loop.makePromise(of: Void.self)
        pending.append(TrackingWriter.Entry(link: link, seen: seen, at: writer.now(), recorded: recorded))
        // The loop runs what `execute` queues after the reads it is handling now.
        if pending.count == 1 { loop.execute { self.flush() } }
        return recorded.futureResult
    }

    private func flush() {
        loop.preconditionInEventLoop()
        let batch = pending
        pending = []
        writer.write(batch)
    }
}

/// One `TrackingBatcher` per event loop, made when a connection on it first needs one.
final class TrackingBatchers: Sendable {
    private let writer: TrackingWriter
    private let byLoop = Mutex<[ObjectIdentifier: TrackingBatcher]>([:])

    init(tracking: TrackingRoutes) {
        writer = TrackingWriter(tracking: tracking)
    }

    func batcher(for loop: any EventLoop) -> TrackingBatcher {
        byLoop.withLock { batchers in
            if let batcher = batchers[ObjectIdentifier(loop)] { return batcher }
            let batcher = TrackingBatcher(loop: loop, writer: writer)
            batchers[ObjectIdentifier(loop)] = batcher
            return batcher
        }
    }
}
