import Foundation

/// The webhook outbox. While a webhook wants an event, the store writes a delivery for it
/// in the transaction that records the event, so a crash can never lose one.
public protocol WebhookStore: Sendable {
    /// Replaces the webhooks the store writes deliveries for (nurture.yml's `webhooks:`).
    func setWebhooks(_ rules: [WebhookRule]) async throws

    /// The deliveries due at `now`, at most `perReceiver` for each URL (the oldest due
    /// first), each leased until `leasedUntil` so another process does not post it
    /// meanwhile.
    func claimWebhookDeliveries(now: Date, perReceiver: Int, leasedUntil: Date) async throws -> [WebhookDelivery]

    /// Records an attempt: delivered, or failed and due again at `retryAt`.
    func recordWebhookAttempt(id: Int64, outcome: WebhookOutcome, now: Date, retryAt: Date) async throws

    func webhookBacklog() async throws -> WebhookBacklog
}
