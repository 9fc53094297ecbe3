import Foundation
import Logging
import NurtureCore

/// What follows, in `serve`, a change to a lead: a person's open or click or a capture
/// by the form queues the lead for a stage check in the store (in the same
/// transaction), and an event (a stage entered, an unsubscribe) may leave a webhook in
/// the outbox. This checks the queue and posts the outbox right away, in the
/// background, one pass at a time. A pass that fails loses nothing: the queue and the
/// outbox stay, for the next pass or tick.
final class FollowUps: @unchecked Sendable {
    private let keeper: (@Sendable () -> StageKeeper)?
    private let webhooks: WebhookDispatcher?
    private let now: @Sendable () -> Date
    private let logger: Logger
    // Guarded by `lock`: a nudge is on the tracking endpoint's path, so it only flips a
    // flag, and starts a task only when no pass is running.
    private let lock = NSLock()
    private var running = false
    private var again = false

    /// Nil when there is nothing to follow up (no stages, no webhooks).
    init?(keeper: (@Sendable () -> StageKeeper)?, webhooks: WebhookDispatcher?, now: @escaping @Sendable () -> Date, logger: Logger) {
        guard keeper != nil || webhooks != nil else { return nil }
        self.keeper = keeper
        self.webhooks = webhooks
        self.now = now
        self.logger = logger
    }

    /// Asks for a pass; returns at once. Nudges during a pass ask for one more after it.
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
                try await Self.pass(keeper: keeper?(), webhooks: webhooks, at: now())
            } catch {
                logger.error("could not follow up on a lead (stages, webhooks): \(error)")
            }
        } while lock.withLock({
            if again { return true }
            running = false
            return false
        })
    }

    private static func pass(keeper: StageKeeper?, webhooks: WebhookDispatcher?, at time: Date) async throws {
        if let keeper { _ = try await retryingWhileBusy(patience: .seconds(30)) { try await keeper.run(now: time) } }
        if let webhooks { _ = try await retryingWhileBusy(patience: .seconds(30)) { try await webhooks.run(now: time) } }
    }
}
