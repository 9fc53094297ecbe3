import Foundation

/// Where a transport's thread leaves what became of a lane's messages: filled from any
/// thread, emptied by the lane, which wakes once for everything that arrived meanwhile
/// (the replies one poll of the connections saw) instead of once per message.
final class OutcomeMailbox<Item: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Item] = []
    private var waiter: CheckedContinuation<[Item], Never>?

    func put(_ item: Item) {
        let wake: (CheckedContinuation<[Item], Never>, [Item])? = lock.withLock {
            items.append(item)
            guard let waiter else { return nil }
            self.waiter = nil
            return (waiter, takeItems())
        }
        if let (waiter, delivered) = wake { waiter.resume(returning: delivered) }
    }

    /// Everything put so far, waiting for at least one; one lane waits at a time.
    func takeAll() async -> [Item] {
        await withCheckedContinuation { continuation in
            let ready: [Item]? = lock.withLock {
                guard !items.isEmpty else {
                    waiter = continuation
                    return nil
                }
                return takeItems()
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// Empties the mailbox; under the lock.
    private func takeItems() -> [Item] {
        var taken: [Item] = []
        swap(&taken, &items)
        return taken
    }
}
