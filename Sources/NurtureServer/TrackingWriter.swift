import Foundation
import NIOCore
import NurtureCore
import Synchronization

/// Writes what every loop's batcher hands it, one transaction at a time, each taking all
/// that was handed over while the one before was written (group commit across loops):
/// the busier `serve` is, the more requests share a commit.
final class TrackingWriter: Sendable {
    struct Entry: Sendable {
        var link: TrackedLink
        var seen: TrackingRoutes.Seen
        var at: Date
        var recorded: EventLoopPromise<Void>
    }

    private let tracking: TrackingRoutes
    private let queue = Mutex<(waiting: [Entry], writing: Bool)>(([], false))

    init(tracking: TrackingRoutes) {
        self.tracking = tracking
    }

    /// The routes' clock, which dates every request.
    func now() -> Date { tracking.now() }

    func write(_ batch: [Entry]) {
        let startsWriting = queue.withLock { queue in
            queue.waiting += batch
            defer { queue.writing = true }
            return !queue.writing
        }
        guard startsWriting else { return }
        Task { await drain() }
    }

    private func drain() async {
        while true {
            let batch = queue.withLock { queue in
                defer { queue.waiting = [] }
                if queue.waiting.isEmpty { queue.writing = false }
                return queue.waiting
            }
            guard !batch.isEmpty else { return }
            await tracking.record(batch.map { ($0.link, $0.seen, $0.at) })
            for entry in batch { entry.recorded.succeed() }
        }
    }
}
