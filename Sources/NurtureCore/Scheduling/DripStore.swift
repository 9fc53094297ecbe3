import Foundation

/// An enrolment that is due, with its lead.
public struct DueEnrollment: Sendable, Hashable {
    public var snapshot: EnrollmentSnapshot
    public var lead: Lead

    public init(snapshot: EnrollmentSnapshot, lead: Lead) {
        self.snapshot = snapshot
        self.lead = lead
    }
}

/// How a drip ended for a lead.
public enum EnrollmentEnd: String, Sendable, Hashable {
    /// Every step is behind the lead.
    case completed
    /// A condition with `else: exit` was false.
    case exited
    /// A goal event (`exit_on`) was recorded.
    case converted
    /// The lead unsubscribed, bounced or complained.
    case suppressed
}

/// What a tick decided for one enrolment, written in one transaction per batch.
public struct EnrollmentChange: Sendable, Hashable {
    public enum Outcome: Sendable, Hashable {
        /// Claim the step for sending: a message row in state `claimed`.
        case claim(step: String, messageID: String)
        /// Send a deferred message again.
        case retry(step: String)
        /// Look again at `at` (nil: only when something changes, like a resolved unknown).
        case reschedule(at: Date?, step: String?)
        /// `at`: when it ended, if not now (a goal event recorded with its own time).
        case end(EnrollmentEnd, reason: String, at: Date? = nil)
    }

    public var enrollmentID: Int64
    public var skipped: [DripPlan.Skip]
    public var outcome: Outcome

    public init(enrollmentID: Int64, skipped: [DripPlan.Skip] = [], outcome: Outcome) {
        self.enrollmentID = enrollmentID
        self.skipped = skipped
        self.outcome = outcome
    }
}

/// A message row a tick holds in state `sending`.
public struct Claim: Sendable, Hashable {
    public var rowID: Int64
    public var enrollmentID: Int64
    public var step: String
    public var messageID: String
    public var attempts: Int

    public init(rowID: Int64, enrollmentID: Int64, step: String, messageID: String, attempts: Int) {
        self.rowID = rowID
        self.enrollmentID = enrollmentID
        self.step = step
        self.messageID = messageID
        self.attempts = attempts
    }
}

/// What happened to a claimed message, and when its drip should be looked at next.
public struct DeliveryRecord: Sendable, Hashable {
    public enum Outcome: Sendable, Hashable {
        case sent
        case deferred(retryAt: Date, error: String)
        /// Refused for good; `bounce` marks the lead bounced (a 5xx to RCPT).
        case failed(error: String, bounce: Bool)
        case unknown(error: String)
        /// Never handed to the transport (the tick stopped): the claim is dropped and
        /// the step is due again.
        case released
    }

    public var claim: Claim
    public var outcome: Outcome
    /// For `sent`: when the next step is due (nil when the drip has nothing more).
    public var nextDueAt: Date?
    public var nextStep: String?
    /// For `sent`: this was the last step, and the drip is complete.
    public var completes: Bool
    /// For `sent`: when the transport accepted it, by the wall clock (tracking's machine
    /// window counts from here; the tick's `now` may be a replayed time).
    public var deliveredAt: Date?

    public init(
        claim: Claim, outcome: Outcome, nextDueAt: Date? = nil, nextStep: String? = nil, completes: Bool = false, deliveredAt: Date? = nil
    ) {
        self.deliveredAt = deliveredAt
        self.claim = claim
        self.outcome = outcome
        self.nextDueAt = nextDueAt
        self.nextStep = nextStep
        self.completes = completes
    }
}

/// A message left in state `sending` by a process that died.
public struct InterruptedSend: Sendable, Hashable {
    public var rowID: Int64
    public var enrollmentID: Int64
    public var messageID: String
    /// `sending` (it may have reached the transport) rather than only `claimed`.
    public var wasHandedOver: Bool

    public init(rowID: Int64, enrollmentID: Int64, messageID: String, wasHandedOver: Bool) {
        self.rowID = rowID
        self.enrollmentID = enrollmentID
        self.messageID = messageID
        self.wasHandedOver = wasHandedOver
    }
}

/// Held by the one process that may send on a store; released on `release()`, or taken
/// over by the next tick when its holder is gone.
public protocol SendLock: Sendable {
    func release() async
}

/// The store as the send loop sees it.
public protocol DripStore: Sendable {
    /// Nil when another process holds the lock (a tick is already running).
    func acquireSendLock() async throws -> (any SendLock)?

    /// Messages a dead process left `claimed` or `sending`.
    func interruptedSends() async throws -> [InterruptedSend]
    /// `delivered` true: sent; false: never left, so the step is due again; nil: unknown.
    func resolveInterrupted(_ resolutions: [(send: InterruptedSend, delivered: Bool?)], now: Date) async throws

    /// Enrols active leads that carry one of the rule's tags or recorded one of its events
    /// and are not in the campaign yet. Reads only what was added since its last pass
    /// for this campaign, unless the rule changed. Returns how many entered.
    func enroll(campaignID: String, rule: EnrollmentRule, now: Date) async throws -> Int

    /// When the campaign's scheduling fingerprint differs from the one stored at the
    /// last tick, makes all its active enrolments due for a fresh look at `now`.
    /// Returns how many were refreshed.
    func refreshIfChanged(campaignID: String, fingerprint: String, now: Date) async throws -> Int

    /// How many active enrolments are due at `now`, in `campaigns` (nil: in any campaign).
    func countDue(now: Date, campaigns: [String]?) async throws -> Int

    /// How many leads got each step of a campaign (messages `sent`), by stored step id.
    func sentCounts(campaignID: String) async throws -> [String: Int]
    /// The campaign's steps (id → template) as the last tick saw them; nil before any.
    func knownSteps(campaignID: String) async throws -> [String: String]?
    /// Records the campaign's steps as this tick sees them.
    func recordKnownSteps(campaignID: String, templates: [String: String]) async throws
    /// Active enrolments of `campaigns` whose next look is due at `now`, earliest first.
    /// Enrolments of campaigns not named are left alone: a campaign file missing for a
    /// while must not change its drips.
    func dueEnrollments(now: Date, campaigns: [String], limit: Int) async throws -> [DueEnrollment]
    /// Writes a batch of decisions; returns the claims that were granted (a claim loses
    /// when the lead stopped being active or the step already has a message). Claimed
    /// messages are in state `claimed`: not yet handed over.
    func apply(_ changes: [EnrollmentChange], now: Date) async throws -> [Claim]
    /// Moves a claim to `sending`, durably, right before it goes to the transport (after
    /// a crash, only `sending` messages can be in doubt), in the transaction that checks
    /// the lead may still be mailed and the drip is live. False: not admitted (the lead
    /// unsubscribed, bounced or left a moment ago); the claim is to be released.
    func markSending(_ claim: Claim, now: Date) async throws -> Bool
    func record(_ deliveries: [DeliveryRecord], now: Date) async throws

    /// Records an event for a lead (created when new), adds `score` points to the lead,
    /// and ends the active enrolments of `goalCampaigns` as converted. Returns the
    /// campaigns it converted in.
    func recordEvent(
        _ input: LeadInput, name: String, attributes: [String: String], score: Int, goalCampaigns: [String], now: Date
    ) async throws -> [String]

    func sendStatus(now: Date) async throws -> SendStatus
    func timeline(email: EmailAddress) async throws -> LeadTimeline?
    /// Every enrolment of a campaign with its lead (for `plan` and `simulate`).
    func enrollments(campaignID: String) async throws -> [DueEnrollment]
    /// Unknown outcomes: deleted so the step is due again (`markSent` false), or taken as sent.
    func resolveUnknown(markSent: Bool, now: Date) async throws -> Int
}
