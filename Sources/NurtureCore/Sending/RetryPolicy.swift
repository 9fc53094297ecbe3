import Foundation

/// When a deferred message is tried again: exponential backoff from `first`, capped at
/// `cap`, and given up (failed) after `maxAttempts`.
public struct RetryPolicy: Sendable, Hashable {
    public var first: TimeInterval = 5 * 60
    public var cap: TimeInterval = 6 * 3600
    public var maxAttempts = 12

    public init() {}

    /// Nil when `attempts` (made so far) is the last one allowed.
    public func retryTime(after attempts: Int, now: Date) -> Date? {
        guard attempts < maxAttempts else { return nil }
        let delay = min(cap, first * pow(2, Double(max(0, attempts - 1))))
        return now.addingTimeInterval(delay)
    }
}
