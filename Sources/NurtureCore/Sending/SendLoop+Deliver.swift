import Foundation
import NurtureMIME

/// What the transport said of a message, and when (wall clock).
struct TimedDelivery: Sendable {
    var result: DeliveryResult
    var at: Date
}

extension SendLoop {
    func compose(_ claim: Claim, work: Work, now: Date, composer: MessageComposer) -> OutgoingMessage {
        MessageAssembler(templates: catalog.templates, linkRewriter: linkRewriter, composer: composer).assemble(
            campaign: work.campaign, step: work.step.rendering(variant: claim.variant), lead: work.lead, messageID: claim.messageID, messageRow: claim.rowID,
            unsubscribeURL: unsubscribeURL(claim.enrollmentID, claim.step), date: now, collectWarnings: false
        ).message
    }

    /// Hands messages to the transport, at most `maxConcurrentDeliveries` at once, in
    /// order. Each message is first admitted: moved to `sending` in the store, durably,
    /// in the transaction that checks its lead may still be mailed, right before it is
    /// handed over (after the rate limiter's wait). So a crash leaves in doubt only the
    /// messages on the wire, and nobody unsubscribed before that moment is mailed.
    /// Each outcome goes to `sink` as it comes back; nil marks a message never handed
    /// over (not admitted, a stop signal, or a fatal error before its turn). A store
    /// failure is returned after the messages on the wire have come back.
    func deliverAll(
        _ items: [(claim: Claim, message: OutgoingMessage)], now: Date,
        to sink: AsyncStream<(index: Int, delivery: TimedDelivery?)>.Continuation, shouldStop: @escaping @Sendable () -> Bool
    ) async -> (any Error)? {
        var reported = Set<Int>()
        defer {
            for index in items.indices where !reported.contains(index) { sink.yield((index, nil)) }
            sink.finish()
        }
        let transport = self.transport
        let store = self.store
        let clock = wallClock
        let width = max(1, transport.maxConcurrentDeliveries)
        var storeError: (any Error)?
        await withTaskGroup(of: (Int, Result<TimedDelivery?, any Error>).self) { group in
            func start(_ index: Int) {
                let item = items[index]
                group.addTask {
                    await transport.waitForTurn()
                    if shouldStop() { return (index, .success(nil)) }
                    do {
                        guard try await store.markSending(item.claim, now: now) else { return (index, .success(nil)) }
                    } catch {
                        return (index, .failure(error))
                    }
                    return (index, .success(TimedDelivery(result: await transport.deliver(item.message), at: clock())))
                }
            }
            var next = 0
            var stopped = false
            while next < items.count, next < width, !shouldStop() {
                start(next)
                next += 1
            }
            while let (index, outcome) = await group.next() {
                switch outcome {
                case .success(let result):
                    sink.yield((index, result))
                    reported.insert(index)
                    if case .fatal = result?.result { stopped = true }
                case .failure(let error):
                    storeError = storeError ?? error
                    stopped = true
                }
                if !stopped, next < items.count, !shouldStop() {
                    start(next)
                    next += 1
                }
            }
        }
        return storeError
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
            summary.lastRetryReason = error
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
