import Foundation
import NurtureMIME

/// What the transport said of a message, and when (wall clock).
struct TimedDelivery: Sendable {
    var result: DeliveryResult
    var at: Date
}

extension SendLoop {
    func compose(_ claim: Claim, work: Work, now: Date, composer: MessageComposer) -> OutgoingMessage {
        var message = MessageAssembler(templates: catalog.templates, linkRewriter: linkRewriter, composer: composer)
            .assemble(
                campaign: work.campaign, step: work.step.rendering(variant: claim.variant), lead: work.lead,
                messageID: claim.messageID, messageRow: claim.rowID,
                unsubscribeURL: unsubscribeURL(claim.enrollmentID, claim.step), date: now, collectWarnings: false
            ).message
        message.returnPath = returnPath?.address(forMessageRow: claim.rowID)
        return message
    }

    /// A message claimed and composed, waiting for a connection. A class: it passes
    /// through the queue, a lane's groups, the transport's callback and the outcome
    /// mailbox, and a copy of the struct (campaign, lead, history, message) retained and
    /// released dozens of references each time, a measurable share of a message's cost.
    final class ReadyMessage: Sendable {
        let claim: Claim
        let work: Work
        let message: OutgoingMessage

        init(claim: Claim, work: Work, message: OutgoingMessage) {
            self.claim = claim
            self.work = work
            self.message = message
        }

        var released: DeliveryRecord { DeliveryRecord(claim: claim, outcome: .released) }
    }

    func record(_ result: DeliveryResult, claim: Claim, work: Work, now: Date, summary: inout TickSummary)
        -> DeliveryRecord
    {
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
                return DeliveryRecord(
                    claim: claim,
                    outcome: .failed(error: "gave up after \(claim.attempts) attempts: \(error)", bounce: false))
            }
            summary.retrying += 1
            summary.lastRetryReason = error
            return DeliveryRecord(claim: claim, outcome: .deferred(retryAt: retryAt, error: error))
        case .untried(let error):
            summary.retrying += 1
            summary.lastRetryReason = error
            return DeliveryRecord(
                claim: claim, outcome: .untried(retryAt: now.addingTimeInterval(retryPolicy.first), error: error))
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
