import Foundation

/// What the lanes and the producer of one tick share: whether to stop handing messages
/// over (a fatal transport error, a store failure) and how many were handed over (counted
/// as their outcomes come back, for the progress bar).
final class TickStop: @unchecked Sendable {
    private let lock = NSLock()
    private var storeError: (any Error)?
    private var stopped = false
    private var handedOver = 0

    var isStopped: Bool { lock.withLock { stopped } }

    /// The transport said nothing more can go this tick.
    func stop() { lock.withLock { stopped = true } }

    /// The store failed: the first error is kept, to be thrown once the tick winds down.
    func fail(_ error: any Error) {
        lock.withLock {
            stopped = true
            storeError = storeError ?? error
        }
    }

    var error: (any Error)? { lock.withLock { storeError } }

    func countHandedOver() { lock.withLock { handedOver += 1 } }

    var handed: Int { lock.withLock { handedOver } }
}
