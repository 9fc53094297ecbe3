import Foundation

/// The store side of metrics.
public protocol MetricsStore: Sendable {
    func metrics(now: Date) async throws -> StoreMetrics
    /// Remembers the last tick (wall clock) for `/metrics`, and for `status` why it
    /// stopped: `outcome` `.stopped` keeps the reason until a tick `.delivered`
    /// clears it; `.quiet` (nothing to send) leaves it as it is.
    func recordTick(finishedAt: Date, seconds: Double, outcome: TickOutcome) async throws
}
