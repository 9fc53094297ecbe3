import Foundation

/// A request already stored for a message, as the tracking rules see it.
public struct StoredActivity: Sendable, Hashable {
    public var kind: ActivityKind
    public var decoy: Bool
    public var ip: String?
    public var at: Date
    public var activityClass: ActivityClass

    public init(kind: ActivityKind, decoy: Bool, ip: String?, at: Date, activityClass: ActivityClass) {
        self.kind = kind
        self.decoy = decoy
        self.ip = ip
        self.at = at
        self.activityClass = activityClass
    }
}

/// Where a decoy hit reaches: requests from the same address within `reach` of it,
/// before or after (a scanner follows every link of a message within moments).
public struct DecoyReach: Sendable, Hashable {
    public var ip: String
    public var fromMilliseconds: Int64
    public var toMilliseconds: Int64

    /// Nil for a request without an address: nothing can be tied to it.
    public init?(ip: String?, at: Date, reach: TimeInterval) {
        guard let ip else { return nil }
        self.ip = ip
        let milliseconds = Int64((reach * 1000).rounded())
        fromMilliseconds = at.epochMilliseconds - milliseconds
        toMilliseconds = at.epochMilliseconds + milliseconds
    }

    public func contains(_ activity: StoredActivity) -> Bool {
        activity.ip == ip && (fromMilliseconds...toMilliseconds).contains(activity.at.epochMilliseconds)
    }
}

/// What the tracking rules need to know of the requests already stored for a message:
/// four yes-or-no facts, which a store answers with indexed queries however many requests
/// a message has had (a link checker or a flood can send thousands).
public struct StoredActivityFacts: Sendable, Hashable {
    /// A person opened the message.
    public var humanOpen: Bool
    /// A person clicked one of its links.
    public var humanClick: Bool
    /// The decoy was hit from the request's address within its reach (asked for clicks).
    public var decoyWithinReach: Bool
    /// A person clicked from another address, or outside the request's reach (asked for
    /// decoy hits: such a click is not unmasked and keeps the points).
    public var humanClickOutsideReach: Bool

    public init(humanOpen: Bool, humanClick: Bool, decoyWithinReach: Bool, humanClickOutsideReach: Bool) {
        self.humanOpen = humanOpen
        self.humanClick = humanClick
        self.decoyWithinReach = decoyWithinReach
        self.humanClickOutsideReach = humanClickOutsideReach
    }

    /// Which facts the rules read for a request (a store answers only those: the last
    /// one walks a message's human clicks).
    public struct Asked: Sendable, Hashable {
        public var humanOpen: Bool
        public var humanClick: Bool
        public var decoyWithinReach: Bool
        public var humanClickOutsideReach: Bool

        public init(for link: TrackedLink) {
            switch link {
            case .open: (humanOpen, humanClick, decoyWithinReach, humanClickOutsideReach) = (true, false, false, false)
            case .click: (humanOpen, humanClick, decoyWithinReach, humanClickOutsideReach) = (false, true, true, false)
            case .decoy: (humanOpen, humanClick, decoyWithinReach, humanClickOutsideReach) = (false, true, false, true)
            }
        }
    }

    /// The facts, from the stored requests themselves: the definition each store's
    /// queries must agree with.
    public init(stored: [StoredActivity], reach: DecoyReach?) {
        let realClicks = stored.filter { $0.kind == .click && !$0.decoy }
        humanOpen = stored.contains { $0.kind == .open && $0.activityClass == .human }
        humanClick = stored.contains { $0.kind == .click && $0.activityClass == .human }
        decoyWithinReach = reach.map { reach in stored.contains { $0.decoy && reach.contains($0) } } ?? false
        humanClickOutsideReach = realClicks.contains { $0.activityClass == .human && !(reach?.contains($0) ?? false) }
    }
}

/// What storing one more request for a message changes, decided from the facts stored
/// for it. Both stores apply this; neither decides it.
public struct TrackingOutcome: Sendable, Hashable {
    /// Points to add to the lead's score (negative: taken back).
    public var scoreChange: Int
    /// Real clicks within this reach that are not already a machine's become a machine's.
    public var unmask: DecoyReach?

    /// The reason written on an unmasked click.
    public static let unmaskReason = "the same address followed the hidden decoy link"

    /// The rules: the first human open (or click) of a message scores its points; a decoy
    /// hit marks as machine the real clicks from its address within `reach` (a scanner
    /// followed them too, possibly a little before the decoy), and when that leaves the
    /// message with no human click, the click's points are taken back.
    public init(storing activity: RecordedActivity, facts: StoredActivityFacts, rules: ScoreRules, reach: TimeInterval) {
        let request = activity.request
        let hadHuman = request.kind == .open ? facts.humanOpen : facts.humanClick
        scoreChange = rules.change(for: request.kind, hadHuman: hadHuman, hasHuman: hadHuman || activity.verdict.activityClass == .human)
        unmask = nil
        guard case .decoy = request.link, let window = DecoyReach(ip: request.ip, at: request.at, reach: reach) else { return }
        unmask = window
        scoreChange += rules.change(for: .click, hadHuman: facts.humanClick, hasHuman: facts.humanClickOutsideReach)
    }
}
