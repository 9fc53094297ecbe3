import Foundation

/// A subscription waiting for its owner to confirm it (double opt-in): not a lead yet,
/// so nothing can enrol or mail it but its confirmation.
public struct PendingSubscription: Sendable, Hashable {
    public var id: Int64
    public var input: LeadInput
    /// When it was first asked for; the confirmation link names it, and it expires from it.
    public var requestedAt: Date

    public init(id: Int64, input: LeadInput, requestedAt: Date) {
        self.id = id
        self.input = input
        self.requestedAt = requestedAt
    }
}

/// Double opt-in in the store.
public protocol SubscriptionStore: Sendable {
    /// Records a request from the form, durably, doing the same work whoever the address
    /// belongs to (issue 41.5: the answer's timing must not tell who is a lead). The
    /// first request for an address is kept as it is (a second, whoever sends it,
    /// rewrites nothing); one that comes an hour or more after the last confirmation was
    /// mailed makes it due again. The confirmation outbox (`confirmationsDue`) mails it
    /// after the answer.
    func requestSubscription(_ input: LeadInput, now: Date) async throws

    /// The outbox of confirmations: pending subscriptions whose confirmation is due, up
    /// to `limit`, oldest first. Requests for an address that is a lead already are
    /// forgotten here, with nothing mailed.
    func confirmationsDue(limit: Int) async throws -> [PendingSubscription]

    /// Notes that its confirmation went out (a failed mail leaves it due, to try again).
    func markConfirmationSent(id: Int64, now: Date) async throws

    /// The pending subscription a confirmation link names, if it is still there.
    func pendingSubscription(id: Int64, requestedAt: Date) async throws -> PendingSubscription?

    /// In one transaction: makes the lead (an existing one is left as it is), records the
    /// consent as the event `subscription_confirmed` (time, and the IP address that
    /// confirmed), and forgets the pending subscription. Returns the address, or nil when
    /// there is no such pending subscription.
    func confirmSubscription(id: Int64, requestedAt: Date, ip: String?, now: Date) async throws -> EmailAddress?

    /// Forgets subscriptions asked for before `cutoff` and never confirmed; returns how many.
    func forgetPendingSubscriptions(before cutoff: Date) async throws -> Int
}
