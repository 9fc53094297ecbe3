import Foundation
import Logging

/// Runs `pass` in the background when nudged, one pass at a time: a nudge during a pass
/// asks for one more after it, however many nudges came. For work that drains a queue
/// in the store (stage checks and webhooks after a lead changes, confirmation mails):
/// a nudge is cheap enough for a request's path, and a failed pass loses nothing, as
/// the queue stays for the next one.
final class CoalescedPasses: @unchecked Sendable {
    private let pass: @Sendable () async throws -> Void
    private let failure: String
    private let logger: Logger
    // Guarded by `lock`.
    private let lock = NSLock()
    private var running = false
    private var again = false

    /// `failure` says what could not be done, for the log ("could not mail …").
    init(failure: String, logger: Logger, pass: @escaping @Sendable () async throws -> Void) {
        self.pass = pass
        self.failure = failure
        self.logger = logger
    }

    /// Asks for a pass; returns at once.
    func nudge() {
        let start = lock.withLock {
            if running { again = true }
            defer { running = true }
            return !running
        }
        if start { Task { await self.passes() } }
    }

    private func passes() async {
        repeat {
            lock.withLock { again = false }
            do {
                try await pass()
            } catch {
                logger.error("\(failure): \(error)")
            }
        } while lock.withLock({
            if again { return true }
            running = false
            return false
        })
    }
}
