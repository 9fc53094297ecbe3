import Foundation

/// The store as the send loop sees it.
public protocol DripStore: Sendable {
    /// Nil when this store allows one sender and another holds the lock (a tick is
    /// already running); a store for several senders always grants it.
    func acquireSendLock() async throws -> (any SendLock)?

    /// Messages a dead process (or this one, in an earlier tick) left `claimed` or
    /// `sending`; never those of a sender still at work.
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

    /// Active leads the rule would take in but for a goal they already met (one of
    /// `rule.unlessRecorded` by `now`), and not in the campaign: what `plan` reports.
    func countKeptOut(campaignID: String, rule: EnrollmentRule, now: Date) async throws -> Int

    /// Active enrolments of the campaign whose lead recorded one of `goals` at or after
    /// enrolling and at or before `now`, each with its earliest such event: a goal dated
    /// ahead (`event --at`) converts at the first tick at or after it, whenever the
    /// drip's next step is due.
    func reachedGoals(campaignID: String, goals: [String], now: Date) async throws -> [ReachedGoal]

    /// How many active enrolments are due at `now`, in `campaigns` (nil: in any campaign).
    func countDue(now: Date, campaigns: [String]?) async throws -> Int

    /// How many leads got each step of a campaign (messages `sent`), by stored step id.
    func sentCounts(campaignID: String) async throws -> [String: Int]
    /// The campaign's steps (id → template) as the last tick saw them; nil before any.
    func knownSteps(campaignID: String) async throws -> [String: String]?
    /// Records the campaign's steps as this tick sees them.
    func recordKnownSteps(campaignID: String, templates: [String: String]) async throws
    /// Active enrolments of `campaigns` whose next look is due at `now`, earliest first.
    /// A store for several senders hands each enrolment to one sender at a time (until
    /// `apply` decides it, or a lease runs out).
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
    /// Records `deliveries` and admits `claims` (each as `markSending`) in one durable
    /// commit: each connection admits its next messages while the current ones are on
    /// the wire, in the commit that records those before. A store may group several
    /// connections' calls into one commit. Returns, for each claim in order, whether it
    /// was admitted.
    func handOver(recording deliveries: [DeliveryRecord], admitting claims: [Claim], now: Date) async throws -> [Bool]
    /// Whether the admitted claim's lead may still be mailed and its drip is live, read
    /// (not locked) right before the message is handed over: an unsubscribe that
    /// committed after the admission is still seen.
    func mayStillMail(_ claim: Claim) async throws -> Bool
    /// `mayStillMail` as a call that answers at once on any thread (a read on a
    /// connection of its own), for a transport to ask right before the hand-over; nil
    /// when the store can only answer asynchronously.
    func immediateMailCheck(_ claim: Claim) -> HandOverCheck?

    /// Records an event for a lead (created when new) and ends the active enrolments of
    /// `goalCampaigns` as converted. Returns the campaigns it converted in.
    func recordEvent(_ input: LeadInput, name: String, attributes: [String: String], goalCampaigns: [String], now: Date)
        async throws -> [String]

    func sendStatus(now: Date) async throws -> SendStatus
    func timeline(email: EmailAddress) async throws -> LeadTimeline?
    /// Every enrolment of a campaign with its lead (for `plan` and `simulate`).
    func enrollments(campaignID: String) async throws -> [DueEnrollment]
    /// Unknown outcomes: deleted so the step is due again (`markSent` false), or taken as sent.
    func resolveUnknown(markSent: Bool, now: Date) async throws -> Int
}

extension DripStore {
    public func immediateMailCheck(_ claim: Claim) -> HandOverCheck? { nil }

    /// Two steps for a store without a combined commit: the records, then the admission.
    public func handOver(recording deliveries: [DeliveryRecord], admitting claims: [Claim], now: Date) async throws
        -> [Bool]
    {
        try await record(deliveries, now: now)
        var admitted: [Bool] = []
        for claim in claims { admitted.append(try await markSending(claim, now: now)) }
        return admitted
    }
}
