import Foundation

/// The store side of tracking.
public protocol TrackingStore: Sendable {
    /// Classifies and stores one request to a tracking URL, in one transaction: finds
    /// its message (nil when the row is gone: nothing is stored), reads the
    /// `StoredActivityFacts` of its stored requests within the request's `DecoyReach`,
    /// asks `classifier` (telling it whether a decoy was followed within reach), stores
    /// the verdict and applies what `TrackingOutcome` decides: the score change and the
    /// clicks a decoy hit unmasks. Two requests for one message at once take turns.
    func track(_ request: TrackingRequest, classifier: ActivityClassifier, scoreRules: ScoreRules, decoyReach: TimeInterval) async throws
        -> ActivityVerdict?

    /// Stores a request already classified (tests, imports of past activity), with the
    /// same scoring and unmasking as `track`.
    func recordActivity(_ activity: RecordedActivity, scoreRules: ScoreRules, decoyReach: TimeInterval) async throws

    /// The message a tracking URL names; nil when its row is gone.
    func trackedMessage(row: Int64) async throws -> TrackedMessage?
}
