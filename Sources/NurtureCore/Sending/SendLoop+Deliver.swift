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

    /// A message claimed and composed, waiting for a connection.
    struct ReadyMessage: Sendable {
        var claim: Claim
        var work: Work
        var message: OutgoingMessage

        var released: DeliveryRecord { DeliveryRecord(claim: claim, outcome: .released) }
    }

    /// One connection's share of the tick: it takes messages from `queue` one at a time
    /// until the queue closes or the tick stops, and returns what its outcomes add to
    /// the summary.
    ///
    /// Each message is admitted (moved to `sending` durably, in the transaction that
    /// checks its lead may still be mailed) while the message before it is on the wire,
    /// in the same commit that records the outcome of the one before that. So the wire
    /// never waits for a commit, and a crash leaves in doubt at most two messages per
    /// connection: before that commit, the one back but not yet recorded and the one on
    /// the wire; after it, the one on the wire and the one admitted next. An admitted
    /// message is handed over only if a read right before hand-over still finds its lead
    /// mailable, so an unsubscribe that has answered is seen by every message not yet
    /// handed over.
    func runLane(_ queue: HandOverQueue<ReadyMessage>, now: Date, stop: TickStop, shouldStop: @escaping @Sendable () -> Bool) async -> TickSummary {
        var lane = Lane(loop: self, queue: queue, now: now, stop: stop, shouldStop: shouldStop)
        await lane.run()
        await queue.laneEnded()
        return lane.summary
    }

    struct Lane {
        let loop: SendLoop
        let queue: HandOverQueue<ReadyMessage>
        let now: Date
        let stop: TickStop
        let shouldStop: @Sendable () -> Bool
        var summary = TickSummary()
        /// Outcomes back from the wire, to be recorded with the next admission.
        var backlog: [DeliveryRecord] = []

        var mayGoOn: Bool { !stop.isStopped && !shouldStop() }

        mutating func run() async {
            var current = await admitNext(waiting: true)
            while let item = current {
                guard mayGoOn else {
                    backlog.append(item.released)
                    break
                }
                do {
                    guard try await loop.store.mayStillMail(item.claim) else {
                        backlog.append(item.released)
                        current = await admitNext(waiting: true)
                        continue
                    }
                } catch {
                    stop.fail(error)
                    backlog.append(item.released)
                    break
                }
                let transport = loop.transport
                let clock = loop.wallClock
                let message = item.message
                async let delivery = TimedDelivery(result: await transport.deliver(message), at: clock())
                stop.countHandedOver()
                // The next one is admitted while this one is on the wire, but only if one
                // is queued already: a lane waiting for work with a message on the wire
                // would look idle, its outcome unrecorded, to a producer that waits for
                // the lanes to go idle before its last look.
                var following = await admitNext(waiting: false)
                let result = await delivery
                var entry = loop.record(result.result, claim: item.claim, work: item.work, now: now, summary: &summary)
                if entry.outcome == .sent { entry.deliveredAt = result.at }
                backlog.append(entry)
                if case .fatal = result.result { stop.stop() }
                if let next = following, !mayGoOn {
                    backlog.append(next.released)
                    following = nil
                } else if following == nil {
                    following = await admitNext(waiting: true)
                }
                current = following
            }
            await flush()
        }

        /// Takes the next message and admits it, recording the backlog in the same
        /// commit; nil when there is none (now, unless `waiting`), or the tick stops. A
        /// message not admitted (its lead left a moment ago) is released and the next one
        /// tried.
        mutating func admitNext(waiting: Bool) async -> ReadyMessage? {
            while mayGoOn {
                var next = await queue.takeNow()
                if next == nil {
                    guard waiting else { return nil }
                    // Idle until more comes: record what came back first, so that a
                    // producer waiting for the lanes to go idle sees it recorded.
                    await flush()
                    next = await queue.take()
                }
                guard let item = next else { return nil }
                await loop.transport.waitForTurn()
                guard mayGoOn else {
                    backlog.append(item.released)
                    return nil
                }
                do {
                    let admitted = try await loop.store.handOver(recording: backlog, admitting: item.claim, now: now)
                    backlog.removeAll(keepingCapacity: true)
                    if admitted { return item }
                    backlog.append(item.released)
                } catch {
                    stop.fail(error)
                    backlog.append(item.released)
                    return nil
                }
            }
            return nil
        }

        /// Records the backlog on its own (at the end, or before waiting for work).
        mutating func flush() async {
            guard !backlog.isEmpty else { return }
            do {
                try await loop.store.record(backlog, now: now)
            } catch {
                stop.fail(error)
            }
            backlog.removeAll(keepingCapacity: true)
        }
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
