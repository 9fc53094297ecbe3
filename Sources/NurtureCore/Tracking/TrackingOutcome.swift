import Foundation

/// A request already stored for a message, as the tracking rules need it.
public struct StoredActivity: Sendable, Hashable {
    public var id: Int64
    public var kind: ActivityKind
    public var decoy: Bool
    public var ip: String?
    public var at: Date
    public var activityClass: ActivityClass

    public init(id: Int64, kind: ActivityKind, decoy: Bool, ip: String?, at: Date, activityClass: ActivityClass) {
        self.id = id
        self.kind = kind
        self.decoy = decoy
        self.ip = ip
        self.at = at
        self.activityClass = activityClass
    }
}

/// What storing one more request for a message changes, decided from the requests already
/// stored for it. Both stores apply this; neither decides it.
public struct TrackingOutcome: Sendable, Hashable {
    /// Points to add to the lead's score (negative: taken back).
    public var scoreChange: Int
    /// Stored clicks that become machine clicks.
    public var unmasked: [Int64]

    /// The reason written on an unmasked click.
    public static let unmaskReason = "the same address followed the hidden decoy link"

    /// Whether a click from `ip` at `at` comes from an address that followed the message's
    /// hidden decoy link within `reach` (before or after): a scanner, following every link.
    public static func decoyFollowed(ip: String?, at: Date, stored: [StoredActivity], reach: TimeInterval) -> Bool {
        guard let ip else { return false }
        return stored.contains { $0.decoy && $0.ip == ip && abs($0.at.timeIntervalSince(at)) <= reach }
    }

    /// The rules: the first human open (or click) of a message scores its points; a decoy
    /// hit marks as machine the real clicks from its address within `reach` (a scanner
    /// followed them too, possibly a little before the decoy), and when that leaves the
    /// message with no human click, the click's points are taken back.
    public init(storing activity: RecordedActivity, stored: [StoredActivity], rules: ScoreRules, reach: TimeInterval) {
        let request = activity.request
        let hadHuman = stored.contains { $0.kind == request.kind && $0.activityClass == .human }
        scoreChange = rules.change(for: request.kind, hadHuman: hadHuman, hasHuman: hadHuman || activity.verdict.activityClass == .human)
        unmasked = []
        guard case .decoy = request.link, let ip = request.ip else { return }
        let clicks = stored.filter { $0.kind == .click && !$0.decoy }
        unmasked = clicks.filter { $0.ip == ip && $0.activityClass != .machine && abs($0.at.timeIntervalSince(request.at)) <= reach }.map(\.id)
        let hadHumanClick = clicks.contains { $0.activityClass == .human }
        let hasHumanClick = clicks.contains { $0.activityClass == .human && !unmasked.contains($0.id) }
        scoreChange += rules.change(for: .click, hadHuman: hadHumanClick, hasHuman: hasHumanClick)
    }
}
