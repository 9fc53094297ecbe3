import Foundation
import Logging
import NurtureCore

/// What follows, in `serve`, a change to a lead: a person's open or click or a capture
/// by the form queues the lead for a stage check in the store (in the same
/// transaction), and an event (a stage entered, an unsubscribe) may leave a webhook in
/// the outbox. This checks the queue and posts the outbox right away, in the
/// background, one pass at a time. A pass that fails loses nothing: the queue and the
/// outbox stay, for the next pass or tick.
final class FollowUps: Sendable {
    private let passes: CoalescedPasses

    /// Nil when there is nothing to follow up (no stages, no webhooks).
    init?(
        keeper: (@Sendable () -> StageKeeper)?, webhooks: WebhookDispatcher?, now: @escaping @Sendable () -> Date,
        logger: Logger
    ) {
        guard keeper != nil || webhooks != nil else { return nil }
        passes = CoalescedPasses(failure: "could not follow up on a lead (stages, webhooks)", logger: logger) {
            try await Self.pass(keeper: keeper?(), webhooks: webhooks, at: now())
        }
    }

    /// Asks for a pass; returns at once. Nudges during a pass ask for one more after it.
    func nudge() { passes.nudge() }

    private static func pass(keeper: StageKeeper?, webhooks: WebhookDispatcher?, at time: Date) async throws {
        if let keeper { _ = try await retryingWhileBusy(patience: .seconds(30)) { try await keeper.run(now: time) } }
        if let webhooks {
            _ = try await retryingWhileBusy(patience: .seconds(30)) { try await webhooks.run(now: time) }
        }
    }
}
