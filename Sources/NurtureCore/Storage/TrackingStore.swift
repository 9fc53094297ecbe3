import Foundation

/// The store side of tracking.
public protocol TrackingStore: Sendable {
    /// Classifies and stores one request to a tracking URL, in one transaction: finds
    /// its message (nil when the row is gone: nothing is stored), asks whether the decoy
    /// was followed from a click's address within its `DecoyReach`, asks `classifier`,
    /// stores the verdict and applies what `TrackingOutcome` decides: the clicks a decoy
    /// hit unmasks. Two requests for one message at once take turns.
    func track(_ request: TrackingRequest, classifier: ActivityClassifier, decoyReach: TimeInterval) async throws
        -> ActivityVerdict?

    /// `track` for several requests, in order (each sees those before it), in one
    /// transaction: all are stored or none, so a failed batch may be tried again whole.
    /// `serve` records the opens and clicks one event loop answers in one turn this way.
    func track(_ requests: [TrackingRequest], classifier: ActivityClassifier, decoyReach: TimeInterval) async throws
        -> [ActivityVerdict?]

    /// Stores a request already classified (tests, imports of past activity), with the
    /// same unmasking as `track`.
    func recordActivity(_ activity: RecordedActivity, decoyReach: TimeInterval) async throws

    /// The message a tracking URL names; nil when its row is gone.
    func trackedMessage(row: Int64) async throws -> TrackedMessage?
}
