import NIOCore
import NurtureCore
import Synchronization

/// Gathers the opens and clicks `TrackingFastPath` answers on one event loop during one
/// turn of it and records them in one call to the store (one task, one transaction),
/// then lets each answer go. One task and one transaction per request cost more than
/// the rest of a redirect.
final class TrackingBatcher: @unchecked Sendable {
    // Unchecked: `pending` is only touched on `loop` (every method asserts it).
    private let loop: any EventLoop
    private let tracking: TrackingRoutes
    private var pending: [(link: TrackedLink, seen: TrackingRoutes.Seen, recorded: EventLoopPromise<Void>)] = []

    init(loop: any EventLoop, tracking: TrackingRoutes) {
        self.loop = loop
        self.tracking = tracking
    }

    /// Succeeds once the request is recorded (or failed to be: that is logged, and never
    /// costs the reader the answer).
    func record(_ link: TrackedLink, seen: TrackingRoutes.Seen) -> EventLoopFuture<Void> {
        loop.preconditionInEventLoop()
        let recorded = loop.makePromise(of: Void.self)
        pending.append((link, seen, recorded))
        // The loop runs what `execute` queues after the reads it is handling now.
        if pending.count == 1 { loop.execute { self.flush() } }
        return recorded.futureResult
    }

    private func flush() {
        loop.preconditionInEventLoop()
        let batch = pending
        pending = []
        let tracking = tracking
        let written = loop.makePromise(of: Void.self)
        written.completeWithTask { await tracking.record(batch.map { ($0.link, $0.seen) }) }
        written.futureResult.whenComplete { _ in
            for entry in batch { entry.recorded.succeed() }
        }
    }
}

/// One `TrackingBatcher` per event loop, made when a connection on it first needs one.
final class TrackingBatchers: Sendable {
    private let tracking: TrackingRoutes
    private let byLoop = Mutex<[ObjectIdentifier: TrackingBatcher]>([:])

    init(tracking: TrackingRoutes) {
        self.tracking = tracking
    }

    func batcher(for loop: any EventLoop) -> TrackingBatcher {
        byLoop.withLock { batchers in
            if let batcher = batchers[ObjectIdentifier(loop)] { return batcher }
            let batcher = TrackingBatcher(loop: loop, tracking: tracking)
            batchers[ObjectIdentifier(loop)] = batcher
            return batcher
        }
    }
}
