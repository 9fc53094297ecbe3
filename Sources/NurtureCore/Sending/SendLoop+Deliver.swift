import Foundation
import NurtureMIME

/// What the transport said of a message, and when (wall clock).
struct TimedDelivery: Sendable {
    var result: DeliveryResult
    var at: Date
}

extension SendLoop {
    func compose(_ claim: Claim, work: Work, now: Date, composer: MessageComposer) -> OutgoingMessage {
        let unsubscribe = unsubscribeURL(claim.enrollmentID, claim.step)
        var rendered = MessageRenderer(templates: catalog.templates).render(
            campaign: work.campaign, step: work.step, lead: work.lead, unsubscribeURL: unsubscribe, collectWarnings: false)
        if let linkRewriter { rendered = linkRewriter.rewrite(rendered, messageRow: claim.rowID) }
        return composer.compose(
            rendered: rendered, campaign: work.campaign, step: work.step, lead: work.lead, messageID: claim.messageID,
            unsubscribeURL: unsubscribe, date: now)
    }

    /// Hands messages to the transport, at most `maxConcurrentDeliveries` at once, in
    /// order. Nil marks a message never handed over (a stop signal, or a fatal error
    /// before its turn).
    func deliverAll(
        _ messages: [OutgoingMessage], shouldStop: @Sendable () -> Bool
    ) async -> [TimedDelivery?] {
        var results = [TimedDelivery?](repeating: nil, count: messages.count)
        let transport = self.transport
        let clock = wallClock
        let width = max(1, transport.maxConcurrentDeliveries)
        await withTaskGroup(of: (Int, TimedDelivery).self) { group in
            var next = 0
            var stopped = false
            while next < messages.count, next < width, !shouldStop() {
                let index = next
                group.addTask { (index, TimedDelivery(result: await transport.deliver(messages[index]), at: clock())) }
                next += 1
            }
            while let (index, result) = await group.next() {
                results[index] = result
                if case .fatal = result.result { stopped = true }
                if !stopped, next < messages.count, !shouldStop() {
                    let index = next
                    group.addTask { (index, TimedDelivery(result: await transport.deliver(messages[index]), at: clock())) }
                    next += 1
                }
            }
        }
        return results
    }

    func record(_ result: DeliveryResult, claim: Claim, work: Work, now: Date, summary: inout TickSummary) -> DeliveryRecord {
        switch result {
        case .delivered:
            summary.sent += 1
            var after = work.snapshot
            after.steps[claim.step] = .sent
            after.lastSentAt = now
            let next = planner.plan(campaign: work.campaign, lead: work.lead, snapshot: after, now: now)
            switch next.action {
            case .wait(let until, let step):
                return DeliveryRecord(claim: claim, outcome: .sent, nextDueAt: until, nextStep: step)
            case .complete where next.skipped.isEmpty:
                // The last step: end the drip in the same write.
                summary.completed += 1
                return DeliveryRecord(claim: claim, outcome: .sent, nextDueAt: nil, nextStep: nil, completes: true)
            default:
                // A 0m wait, a skip, an exit: settled by the next batch.
                return DeliveryRecord(claim: claim, outcome: .sent, nextDueAt: now, nextStep: nil)
            }
        case .transient(let error):
            guard let retryAt = retryPolicy.retryTime(after: claim.attempts, now: now) else {
                summary.failed += 1
                return DeliveryRecord(claim: claim, outcome: .failed(error: "gave up after \(claim.attempts) attempts: \(error)", bounce: false))
            }
            summary.retrying += 1
            return DeliveryRecord(claim: claim, outcome: .deferred(retryAt: retryAt, error: error))
        case .permanent(let error, let recipientRefused):
            summary.failed += 1
            return DeliveryRecord(claim: claim, outcome: .failed(error: error, bounce: recipientRefused))
        case .unknown(let error):
            summary.unknown += 1
            return DeliveryRecord(claim: claim, outcome: .unknown(error: error))
        case .fatal(let error):
            // The server or our configuration is at fault, not this message: it is due
            // again as if never tried, and the tick stops.
            summary.stoppedBecause = summary.stoppedBecause ?? error
            return DeliveryRecord(claim: claim, outcome: .released)
        }
    }
}
