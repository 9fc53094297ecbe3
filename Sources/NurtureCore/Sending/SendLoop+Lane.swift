import Foundation

extension SendLoop {
    /// One connection's share of the tick: it takes messages from `queue` until the
    /// queue closes or the tick stops, and returns what its outcomes add to the summary.
    ///
    /// A lane keeps at most two messages admitted (moved to `sending` durably, in the
    /// transaction that checks its lead may still be mailed) and not yet recorded. Each
    /// admission shares its commit with the outcomes that came back before it, and
    /// happens while the lane's other message is on the wire, so the wire never waits for
    /// a commit; a crash leaves at most two messages per connection in doubt. Right
    /// before an admitted message is handed over, its lead is read once more, so an
    /// unsubscribe that has answered is seen by every message not yet handed over. With a
    /// store that answers that read at once, both messages go to the transport, which
    /// asks it the moment a connection is free and starts the second without waiting for
    /// the lane.
    func runLane(_ queue: HandOverQueue<ReadyMessage>, now: Date, stop: TickStop, shouldStop: @escaping @Sendable () -> Bool) async -> TickSummary {
        var lane = Lane(loop: self, queue: queue, now: now, stop: stop, shouldStop: shouldStop)
        await withTaskGroup(of: (ReadyMessage, HandOverOutcome).self) { group in
            await lane.run(group: &group)
        }
        await queue.laneEnded()
        return lane.summary
    }

    /// What became of a message given to the transport.
    enum HandOverOutcome: Sendable {
        case delivered(TimedDelivery)
        /// The check right before the hand-over said no: nothing was sent.
        case withheld
        case checkFailed(any Error)
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

        var mayGoOn: Bool { !stop.isStopped && !shouldStop() }

        /// Admitted and not recorded: what a crash now would leave in doubt.
        var unrecorded: Int { held.count + outstanding }

        mutating func run(group: inout TaskGroup<(ReadyMessage, HandOverOutcome)>) async {
            while true {
                await handOverHeld(to: &group)
                // Admit ahead while a message is on the wire; wait for work only when the
                // lane has nothing in flight (and has recorded everything: idle).
                while unrecorded < 2, mayGoOn, let next = await admitNext(waiting: unrecorded == 0) { held.append(next) }
                await handOverHeld(to: &group)
                guard outstanding > 0, let back = await group.next() else { break }
                outstanding -= 1
                settle(back.0, back.1)
            }
            backlog += held.map(\.released)
            held.removeAll()
            await flush()
        }

        /// Gives held messages to the transport: both when the transport queues them and
        /// the store's check can be asked by the transport itself, else one at a time
        /// after the check here.
        mutating func handOverHeld(to group: inout TaskGroup<(ReadyMessage, HandOverOutcome)>) async {
            while let item = held.first, outstanding < 2, mayGoOn {
                let immediate = loop.transport.queuesMessages ? loop.store.immediateMailCheck(item.claim) : nil
                guard immediate != nil || outstanding == 0 else { return }
                held.removeFirst()
                let transport = loop.transport
                let clock = loop.wallClock
                let message = item.message
                if let immediate {
                    let stop = self.stop
                    let shouldStop = self.shouldStop
                    group.addTask {
                        do {
                            let result = try await transport.deliver(message) { try !stop.isStopped && !shouldStop() && immediate() }
                            guard let result else { return (item, .withheld) }
                            return (item, .delivered(TimedDelivery(result: result, at: clock())))
                        } catch {
                            return (item, .checkFailed(error))
                        }
                    }
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
                    group.addTask { (item, .delivered(TimedDelivery(result: await transport.deliver(message), at: clock()))) }
                }
                outstanding += 1
            }
        }

        /// Counts and queues for recording what became of a message.
        mutating func settle(_ item: ReadyMessage, _ outcome: HandOverOutcome) {
            switch outcome {
            case .delivered(let delivery):
                stop.countHandedOver()
                var entry = loop.record(delivery.result, claim: item.claim, work: item.work, now: now, summary: &summary)
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
}
