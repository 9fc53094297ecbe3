/// What a tick holds while it sends, released on `release()`. On SQLite, the one process
/// that may send (the next tick takes it over when its holder is gone); on PostgreSQL, a
/// sender's registration and heartbeat (many senders at once, each owning its claims
/// while its heartbeat is fresh).
public protocol SendLock: Sendable {
    func release() async
}
