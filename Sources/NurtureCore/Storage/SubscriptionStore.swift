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
    /// Keeps a subscription until it is confirmed. Returns it when a confirmation should
    /// be mailed now: not for an address that is already a lead (the form answers the
    /// same either way), nor more than once an hour for one address (the form must not
    /// mail-bomb someone else's inbox).
    func addPendingSubscription(_ input: LeadInput, now: Date) async throws -> PendingSubscription?

    /// Notes that its confirmation went out (a failed mail leaves it unsent, to try again).
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
