import Foundation

enum Signals {
    /// A parent may have started us with SIGTERM and SIGINT blocked (the mask is
    /// inherited); a `ServiceGroup` can only see them unblocked.
    static func unblockTermination() {
        var wanted = sigset_t()
        sigemptyset(&wanted)
        sigaddset(&wanted, SIGTERM)
        sigaddset(&wanted, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &wanted, nil)
    }
}

/// A flag set once, read from any thread (the graceful-shutdown handler sets it; the
/// tick reads it before each hand-over).
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var stopped = false

    func set() { lock.withLock { stopped = true } }

    var isSet: Bool { lock.withLock { stopped } }
}
