import Foundation

/// The webhook outbox. While a webhook wants an event, the store writes a delivery for it
/// in the transaction that records the event, so a crash can never lose one.
public protocol WebhookStore: Sendable {
    /// Replaces the webhooks the store writes deliveries for (nurture.yml's `webhooks:`).
    func setWebhooks(_ rules: [WebhookRule]) async throws

    /// Up to `limit` deliveries due at `now`, each leased until `now + lease` so another
    /// process does not post it at the same moment.
    func claimWebhookDeliveries(now: Date, limit: Int, lease: TimeInterval) async throws -> [WebhookDelivery]

    /// Records an attempt: delivered, or failed and due again at `retryAt`.
    func recordWebhookAttempt(id: Int64, outcome: WebhookOutcome, now: Date, retryAt: Date) async throws

    func webhookBacklog() async throws -> WebhookBacklog
}
