import Foundation

/// Counts what each key (a client address, or one key for all) does in a window: once
/// `allowed` have been counted within `window` seconds of the first, the key is refused
/// until the window is over. For failed admin logins, and captures by `/subscribe` per
/// client and overall. Memory is bounded: the table is cleared when it passes `maxKeys`.
final class WindowCounter: @unchecked Sendable {
    let allowed: Int
    let window: TimeInterval
    // Guarded by `lock`.
    private var counts: [String: (count: Int, since: Date)] = [:]
    private let lock = NSLock()
    private let maxKeys = 10_000

    init(allowed: Int, window: TimeInterval) {
        self.allowed = allowed
        self.window = window
    }

    /// Seconds to wait, or nil when the key may go on.
    func blockedFor(_ key: String, now: Date) -> TimeInterval? {
        lock.withLock { wait(key, now: now) }
    }

    func count(_ key: String, now: Date) {
        lock.withLock { add(key, now: now) }
    }

    /// Counts one and says whether it was allowed (nil) or how long to wait: the check
    /// and the count in one step, so two requests at once cannot both slip through.
    func take(_ key: String, now: Date) -> TimeInterval? {
        lock.withLock {
            if let left = wait(key, now: now) { return left }
            add(key, now: now)
            return nil
        }
    }

    /// Under `lock`: what is left of the key's window once it is used up, else nil
    /// (forgetting a window that is over).
    private func wait(_ key: String, now: Date) -> TimeInterval? {
        guard let entry = counts[key] else { return nil }
        let left = window - now.timeIntervalSince(entry.since)
        if left <= 0 {
            counts[key] = nil
            return nil
        }
        return entry.count >= allowed ? left : nil
    }

    /// Under `lock`: one more in the key's window, or the first of a new one.
    private func add(_ key: String, now: Date) {
        if counts.count >= maxKeys { counts.removeAll() }
        if let entry = counts[key], now.timeIntervalSince(entry.since) < window {
            counts[key] = (entry.count + 1, entry.since)
        } else {
            counts[key] = (1, now)
        }
    }

    func reset(_ key: String) {
        lock.withLock { counts[key] = nil }
    }
}
