import Foundation

/// The store side of tracking.
public protocol TrackingStore: Sendable {
    /// Classifies and stores one request to a tracking URL, in one transaction: finds
    /// its message (nil when the row is gone: nothing is stored), asks `classifier`
    /// (telling it whether the same address followed the message's decoy within
    /// `decoyReach`), and stores the verdict. A human open or click that is the first
    /// of its kind for the message adds `scoreRules` points to the lead; a decoy hit
    /// marks as machine the clicks on the message from its address within `decoyReach`.
    func track(_ request: TrackingRequest, classifier: ActivityClassifier, scoreRules: ScoreRules, decoyReach: TimeInterval) async throws
        -> ActivityVerdict?

    /// Stores a request already classified (tests, imports of past activity), with the
    /// same scoring and unmasking as `track`.
    func recordActivity(_ activity: RecordedActivity, scoreRules: ScoreRules, decoyReach: TimeInterval) async throws

    /// The message a tracking URL names; nil when its row is gone.
    func trackedMessage(row: Int64) async throws -> TrackedMessage?
}
