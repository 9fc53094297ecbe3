import Foundation

/// The store side of metrics.
public protocol MetricsStore: Sendable {
    func metrics(now: Date) async throws -> StoreMetrics
    /// Remembers the last tick (wall clock) for `/metrics`.
    func recordTick(finishedAt: Date, seconds: Double) async throws
}
