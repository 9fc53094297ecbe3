/// Messages claimed and composed, waiting for a connection: the tick's producer (pick,
/// decide, claim, compose) puts batches in, each delivery lane takes one message at a
/// time. It holds at most about `capacity` messages, so the claims ahead of the wire
/// stay few (a claim left by a crash is only due again, but it is work done twice).
actor HandOverQueue<Item: Sendable> {
    private var items: [Item] = []
    private var head = 0
    private let capacity: Int
    private let lanes: Int
    private var closed = false
    /// Lanes waiting for an item, and lanes that have ended.
    private var waitingLanes: [CheckedContinuation<Item?, Never>] = []
    private var endedLanes = 0
    private var producerWaiting: CheckedContinuation<Void, Never>?
    private var idleWaiter: CheckedContinuation<Void, Never>?

    init(capacity: Int, lanes: Int) {
        self.capacity = max(1, capacity)
        self.lanes = lanes
    }

    private var count: Int { items.count - head }

    /// Adds a batch, handing items straight to waiting lanes; then waits while the
    /// queue is full, so the producer runs at most one batch ahead of the lanes.
    func put(_ batch: [Item]) async {
        for item in batch {
            if !waitingLanes.isEmpty {
                waitingLanes.removeFirst().resume(returning: item)
            } else {
                items.append(item)
            }
        }
        while count >= capacity && !closed && endedLanes < lanes {
            await withCheckedContinuation { producerWaiting = $0 }
        }
    }

    /// The next item, without waiting; nil when none is queued right now.
    func takeNow() -> Item? {
        guard count > 0 else { return nil }
        let item = items[head]
        head += 1
        if head > 256 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        if count < capacity, let producer = producerWaiting {
            producerWaiting = nil
            producer.resume()
        }
        return item
    }

    /// Up to `count` items, without waiting; empty when none is queued right now.
    func takeNow(upTo count: Int) -> [Item] {
        var taken: [Item] = []
        while taken.count < count, let item = takeNow() { taken.append(item) }
        return taken
    }

    /// The next item, waiting for one; nil once the queue is closed and empty. A lane
    /// calls it only after recording everything it delivered, so a lane waiting here
    /// is idle.
    func take() async -> Item? {
        if let item = takeNow() { return item }
        if closed { return nil }
        return await withCheckedContinuation { continuation in
            waitingLanes.append(continuation)
            checkIdle()
        }
    }

    /// A lane stopped for good (the tick stops: a fatal error, a signal, a store failure).
    func laneEnded() {
        endedLanes += 1
        // With every lane gone nothing will make room: a producer waiting for it goes on
        // (and finds the tick stopped).
        if endedLanes >= lanes, let producer = producerWaiting {
            producerWaiting = nil
            producer.resume()
        }
        checkIdle()
    }

    /// Waits until every item put in so far was taken and every lane is idle or ended:
    /// everything handed over has been recorded.
    func waitUntilIdle() async {
        if isIdle { return }
        await withCheckedContinuation { idleWaiter = $0 }
    }

    /// Every lane ended (nothing more will be taken), or each is waiting on an empty queue.
    private var isIdle: Bool { endedLanes >= lanes || (count == 0 && waitingLanes.count + endedLanes >= lanes) }

    private func checkIdle() {
        if isIdle, let waiter = idleWaiter {
            idleWaiter = nil
            waiter.resume()
        }
    }

    /// No more items will be put: lanes take what is left, then end.
    func close() {
        closed = true
        for lane in waitingLanes { lane.resume(returning: nil) }
        waitingLanes.removeAll()
        producerWaiting?.resume()
        producerWaiting = nil
    }

    /// Empties the queue once every lane has ended: the items never taken (claimed,
    /// never handed over, because the tick stopped), for the producer to release.
    func leftOver() -> [Item] {
        let left = Array(items[head...])
        items.removeAll()
        head = 0
        return left
    }
}
