import Foundation

/// One entry of `webhooks:` in nurture.yml: where to POST, and which events.
public struct WebhookRule: Sendable, Hashable {
    public var url: String
    public var events: [String]

    public init(url: String, events: [String]) {
        self.url = url
        self.events = events
    }

    /// One event one webhook wants: what a store keeps of the rules.
    public struct Subscription: Sendable, Hashable {
        public var url: String
        public var event: String

        public init(url: String, event: String) {
            self.url = url
            self.event = event
        }
    }

    public static func subscriptions(_ rules: [WebhookRule]) -> Set<Subscription> {
        Set(rules.flatMap { rule in rule.events.map { Subscription(url: rule.url, event: $0) } })
    }
}

/// A delivery waiting to be made: one event for one webhook, with what its body tells.
public struct WebhookDelivery: Sendable, Hashable {
    /// The outbox row: the delivery's idempotency id, the same on every attempt.
    public var id: Int64
    public var url: String
    public var attempts: Int
    public var event: LeadTimeline.Event
    /// With tags, attributes and source.
    public var lead: Lead

    public init(id: Int64, url: String, attempts: Int, event: LeadTimeline.Event, lead: Lead) {
        self.id = id
        self.url = url
        self.attempts = attempts
        self.event = event
        self.lead = lead
    }

    /// What the receiver de-duplicates on (`X-Nurture-Delivery`).
    public var idempotencyID: String { "nurture-\(id)" }
}

/// What one POST came to: delivered (a 2xx answer), or why not.
public enum WebhookOutcome: Sendable, Hashable {
    case delivered
    case failed(String)
}

/// Where webhook requests go (libcurl in `serve` and `run`; a recorder in tests).
public protocol WebhookPoster: Sendable {
    /// The longest a post may take, connecting included: a claimed delivery is leased
    /// for this long (and a margin), so no other process posts it meanwhile.
    var timeout: Duration { get }

    func post(url: String, headers: [(String, String)], body: [UInt8]) async -> WebhookOutcome
}

/// Pending and failing deliveries, for `status`.
public struct WebhookBacklog: Sendable, Hashable {
    public var pending: Int
    /// Tried at least once and not yet delivered.
    public var failing: Int
    /// The most recent failure: its URL and why.
    public var lastFailure: Failure?

    public struct Failure: Sendable, Hashable {
        public var url: String
        public var error: String

        public init(url: String, error: String) {
            self.url = url
            self.error = error
        }
    }

    public init(pending: Int = 0, failing: Int = 0, lastFailure: (url: String, error: String)? = nil) {
        self.pending = pending
        self.failing = failing
        self.lastFailure = lastFailure.map { Failure(url: $0.url, error: $0.error) }
    }
}
