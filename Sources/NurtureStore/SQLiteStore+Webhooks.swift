import Foundation
import NurtureCore

extension SQLiteStore {
    public func setWebhooks(_ rules: [WebhookRule]) throws {
        // Every tick and event says; only a change is written.
        let wanted = WebhookRule.subscriptions(rules)
        var current: Set<WebhookRule.Subscription> = []
        try connection.prepare("SELECT url, event FROM webhook_subscriptions").rows {
            current.insert(.init(url: $0.text(0) ?? "", event: $0.text(1) ?? ""))
        }
        guard current != wanted else { return }
        try connection.transaction {
            try connection.prepare("DELETE FROM webhook_subscriptions").rows()
            let add = try connection.prepare("INSERT INTO webhook_subscriptions (url, event) VALUES (?, ?)")
            for subscription in wanted { try add.rows([.text(subscription.url), .text(subscription.event)]) }
        }
    }

    public func claimWebhookDeliveries(now: Date, perReceiver: Int, leasedUntil: Date) throws -> [WebhookDelivery] {
        try connection.transaction {
            var ids: [Int64] = []
            try connection.prepare(
                """
                UPDATE webhook_deliveries SET next_attempt_at = ?2 WHERE id IN (
                    SELECT id FROM (
                        SELECT id, row_number() OVER (PARTITION BY url ORDER BY next_attempt_at, id) AS place
                        FROM webhook_deliveries WHERE delivered_at IS NULL AND next_attempt_at <= ?1)
                    WHERE place <= ?3)
                RETURNING id
                """
            ).rows([.integer(now.epochSeconds), .integer(leasedUntil.epochSeconds), .integer(Int64(perReceiver))]) {
                ids.append($0.integer(0))
            }
            guard !ids.isEmpty else { return [] }
            var deliveries: [WebhookDelivery] = []
            try connection.prepare(
                """
                SELECT d.id, d.url, d.attempts, e.name, e.occurred_at, e.attributes, \(Self.leadColumnsOfL)
                FROM webhook_deliveries d JOIN events e ON e.id = d.event_id JOIN leads l ON l.id = e.lead_id
                WHERE d.id IN (SELECT value FROM json_each(?)) ORDER BY d.id
                """
            ).rows([.text(JSONText.integers(ids))]) { row in
                guard let lead = Self.lead(from: row, offset: 6) else { return }
                let event = LeadTimeline.Event(
                    name: row.text(3) ?? "", at: Date(epochSeconds: row.integer(4)),
                    attributes: JSONText.textValues(ofObject: row.text(5) ?? "{}"))
                deliveries.append(
                    WebhookDelivery(
                        id: row.integer(0), url: row.text(1) ?? "", attempts: Int(row.integer(2)), event: event,
                        lead: lead))
            }
            var leads = deliveries.map(\.lead)
            try fillTagsAndAttributes(&leads)
            for index in deliveries.indices { deliveries[index].lead = leads[index] }
            return deliveries
        }
    }

    public func recordWebhookAttempt(id: Int64, outcome: WebhookOutcome, now: Date, retryAt: Date) throws {
        switch outcome {
        case .delivered:
            try connection.prepare(
                """
                UPDATE webhook_deliveries SET attempts = attempts + 1, delivered_at = ?2, last_attempt_at = ?2, last_error = NULL WHERE id = ?1
                """
            ).rows([.integer(id), .integer(now.epochSeconds)])
        case .failed(let error):
            try connection.prepare(
                """
                UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = ?3, last_attempt_at = ?2, last_error = ?4 WHERE id = ?1
                """
            ).rows([.integer(id), .integer(now.epochSeconds), .integer(retryAt.epochSeconds), .text(error)])
        }
    }

    public func webhookBacklog() throws -> WebhookBacklog {
        try connection.read {
            var backlog = WebhookBacklog()
            try connection.prepare(
                """
                SELECT count(*), count(*) FILTER (WHERE attempts > 0) FROM webhook_deliveries WHERE delivered_at IS NULL
                """
            ).rows {
                backlog.pending = Int($0.integer(0))
                backlog.failing = Int($0.integer(1))
            }
            try connection.prepare(
                """
                SELECT url, last_error FROM webhook_deliveries WHERE delivered_at IS NULL AND attempts > 0 ORDER BY last_attempt_at DESC, id DESC LIMIT 1
                """
            ).rows { backlog.lastFailure = .init(url: $0.text(0) ?? "", error: $0.text(1) ?? "") }
            return backlog
        }
    }
}
