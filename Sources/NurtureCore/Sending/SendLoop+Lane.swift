import Foundation

extension SendLoop {
    /// One connection's share of the tick: it takes messages from `queue` until the
    /// queue closes or the tick stops, and returns what its outcomes add to the summary.
    ///
    /// A lane admits messages in groups of up to `admitAhead` (moved to `sending` durably,
    /// in one transaction that checks each lead may still be mailed) and keeps at most
    /// two groups admitted and not yet recorded. Each admission shares its commit with the
    /// outcomes that came back before it, and happens while the lane's other group is
    /// with the transport, so the wire never waits for a commit; a crash leaves at most
    /// `2 × admitAhead` messages per connection in doubt. Right
    /// before an admitted message is handed over, its lead is read once more, so an
    /// unsubscribe that has answered is seen by every message not yet handed over. With a
    /// store that answers that read at once, every admitted message goes to the
    /// transport, which asks it the moment a connection is free and starts the next
    /// without waiting for the lane.
    func runLane(
        _ queue: HandOverQueue<ReadyMessage>, now: Date, stop: TickStop, shouldStop: @escaping @Sendable () -> Bool
    ) async -> TickSummary {
        var lane = Lane(loop: self, queue: queue, now: now, stop: stop, shouldStop: shouldStop)
        await lane.run()
        await queue.laneEnded()
        return lane.summary
    }

    /// What became of a message given to the transport.
    enum HandOverOutcome: Sendable {
        case delivered(TimedDelivery)
        /// The check right before the hand-over said no: nothing was sent.
        case withheld
        case checkFailed(any Error)

        /// For the log: the transport's answer, or why there was none.
        var words: String {
            switch self {
            case .delivered(let delivery): "\(delivery.result)"
            case .withheld: "withheld (the lead may no longer be mailed)"
            case .checkFailed(let error): "not handed over: \(error)"
            }
        }
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
        /// Admitted, not yet given to the transport.
        var held: [ReadyMessage] = []
        /// With the transport, outcome not yet back.
        var outstanding = 0
        /// Where the transport leaves the outcomes.
        let outcomes = OutcomeMailbox<(ReadyMessage, HandOverOutcome)>()

        var mayGoOn: Bool { !stop.isStopped && !shouldStop() }

        /// Messages admitted per commit.
        var groupSize: Int { max(1, loop.admitAhead) }
        /// Admitted and not yet recorded, at most: a group with the transport, and the next.
        var window: Int { 2 * groupSize }

        /// Admitted and not recorded: what a crash now would leave in doubt.
        var unrecorded: Int { held.count + outstanding }

        mutating func run() async {
            while true {
                await handOverHeld()
                // Admit the next group once there is room for a whole one (so each commit
                // admits a group, not a message per outcome back) while the last is with
                // the transport; wait for work only when the lane has nothing in flight
                // (and has recorded everything: idle).
                while unrecorded <= window - groupSize, mayGoOn {
                    let admitted = await admitNext(upTo: window - unrecorded, waiting: unrecorded == 0)
                    if admitted.isEmpty { break }
                    held += admitted
                }
                await handOverHeld()
                guard outstanding > 0 else { break }
                for (item, outcome) in await outcomes.takeAll() {
                    outstanding -= 1
                    settle(item, outcome)
                }
            }
            backlog += held.map(\.released)
            held.removeAll()
            await flush()
        }

        /// Gives held messages to the transport: all of them (up to the window) when the
        /// transport queues them and the store's check can be asked by the transport
        /// itself, else one at a time after the check here.
        mutating func handOverHeld() async {
            while let item = held.first, outstanding < window, mayGoOn {
                let immediate = loop.transport.queuesMessages ? loop.store.immediateMailCheck(item.claim) : nil
                guard immediate != nil || outstanding == 0 else { return }
                held.removeFirst()
                let check: HandOverCheck
                if let immediate {
                    let stop = self.stop
                    let shouldStop = self.shouldStop
                    check = { try !stop.isStopped && !shouldStop() && immediate() }
                } else {
                    do {
                        guard try await loop.store.mayStillMail(item.claim) else {
                            backlog.append(item.released)
                            continue
                        }
                    } catch {
                        settle(item, .checkFailed(error))
                        return
                    }
                    check = { true }
                }
                let clock = loop.wallClock
                let outcomes = self.outcomes
                loop.transport.submit(item.message, checkingFirst: check) { result in
                    switch result {
                    case .success(let delivered?):
                        outcomes.put((item, .delivered(TimedDelivery(result: delivered, at: clock()))))
                    case .success(nil): outcomes.put((item, .withheld))
                    case .failure(let error): outcomes.put((item, .checkFailed(error)))
                    }
                }
                outstanding += 1
            }
        }

        /// Counts and queues for recording what became of a message.
        mutating func settle(_ item: ReadyMessage, _ outcome: HandOverOutcome) {
            loop.logger.debug(
                "message",
                metadata: [
                    "campaign": "\(item.message.campaignID)", "step": "\(item.message.stepID)",
                    "to": "\(item.message.recipient)",
                    "message_id": "\(item.message.messageID)", "outcome": "\(outcome.words)",
                ])
            switch outcome {
            case .delivered(let delivery):
                stop.countHandedOver()
                var entry = loop.record(
                    delivery.result, claim: item.claim, work: item.work, now: now, summary: &summary)
                if entry.outcome == .sent { entry.deliveredAt = delivery.at }
                backlog.append(entry)
                if case .fatal = delivery.result { stop.stop() }
            case .withheld:
                backlog.append(item.released)
            case .checkFailed(let error):
                stop.fail(error)
                backlog.append(item.released)
            }
        }

        /// Takes up to `count` queued messages (at most a group) and admits them,
        /// recording the backlog in the same commit; empty when there are none (now,
        /// unless `waiting`), or the tick stops. Messages not admitted (their lead left a
        /// moment ago) are released, and when none was, the next ones are tried.
        mutating func admitNext(upTo count: Int, waiting: Bool) async -> [ReadyMessage] {
            let count = min(count, groupSize)
            while mayGoOn {
                var taken = await queue.takeNow(upTo: count)
                if taken.isEmpty {
                    guard waiting else { return [] }
                    // Idle until more comes: record what came back first, so that a
                    // producer waiting for the lanes to go idle sees it recorded.
                    await flush()
                    guard let first = await queue.take() else { return [] }
                    taken = [first] + (await queue.takeNow(upTo: count - 1))
                }
                // A rate limit paces admissions, so a message waits for its turn unadmitted.
                for _ in taken { await loop.transport.waitForTurn() }
                guard mayGoOn else {
                    backlog += taken.map(\.released)
                    return []
                }
                do {
                    let verdicts = try await loop.store.handOver(
                        recording: backlog, admitting: taken.map(\.claim), now: now)
                    backlog.removeAll(keepingCapacity: true)
                    var admitted: [ReadyMessage] = []
                    for (item, isAdmitted) in zip(taken, verdicts) {
                        if isAdmitted { admitted.append(item) } else { backlog.append(item.released) }
                    }
                    if !admitted.isEmpty { return admitted }
                } catch {
                    stop.fail(error)
                    backlog += taken.map(\.released)
                    return []
                }
            }
            return []
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
}
