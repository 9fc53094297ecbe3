import Foundation
import NurtureCore
import PostgresNIO

extension PostgresStore {
    public func setWebhooks(_ rules: [WebhookRule]) async throws {
        let wanted = WebhookRule.subscriptions(rules)
        // Every tick and event says; only a change is written.
        let current = try await read { connection in
            var pairs: Set<WebhookRule.Subscription> = []
            for try await (url, event) in try await connection.query(
                "SELECT url, event FROM webhook_subscriptions", logger: self.logger
            )
            .decode((String, String).self) {
                pairs.insert(.init(url: url, event: event))
            }
            return pairs
        }
        guard current != wanted else { return }
        let list = Array(wanted)
        let (urls, events) = (list.map(\.url), list.map(\.event))
        try await write { connection in
            try await connection.query("DELETE FROM webhook_subscriptions", logger: self.logger)
            try await connection.query(
                """
                INSERT INTO webhook_subscriptions (url, event) SELECT * FROM unnest(\(urls)::text[], \(events)::text[]) ON CONFLICT DO NOTHING
                """, logger: self.logger)
        }
    }

    public func claimWebhookDeliveries(now: Date, perReceiver: Int, leasedUntil: Date) async throws -> [WebhookDelivery]
    {
        try await write { connection in
            // Two processes claiming at once: the second waits for the first's row locks and
            // then finds those rows due later (the condition is checked again on the row as
            // committed), so each delivery goes to one of them. (FOR UPDATE SKIP LOCKED
            // cannot be used beside a window function.)
            var deliveries: [WebhookDelivery] = []
            for row in try await connection.rows(
                """
                WITH claimed AS (
                    UPDATE webhook_deliveries SET next_attempt_at = \(leasedUntil.epochSeconds) WHERE id IN (
                        SELECT id FROM (
                            SELECT id, row_number() OVER (PARTITION BY url ORDER BY next_attempt_at, id) AS place
                            FROM webhook_deliveries WHERE delivered_at IS NULL AND next_attempt_at <= \(now.epochSeconds)) ranked
                        WHERE place <= \(perReceiver))
                    AND delivered_at IS NULL AND next_attempt_at <= \(now.epochSeconds)
                    RETURNING id, url, attempts, event_id)
                SELECT c.id, c.url, c.attempts, e.name, e.occurred_at, e.attributes::text, \(unescaped: Self.leadColumns)
                FROM claimed c JOIN events e ON e.id = c.event_id JOIN leads l ON l.id = e.lead_id ORDER BY c.id
                """, logger: self.logger)
            {
                let cells = Array(row)
                guard let lead = try Self.lead(from: row, offset: 6) else { continue }
                let event = LeadTimeline.Event(
                    name: try cells[3].decode(String.self), at: Date(epochSeconds: try cells[4].decode(Int64.self)),
                    attributes: JSONText.textValues(ofObject: try cells[5].decode(String.self)))
                deliveries.append(
                    WebhookDelivery(
                        id: try cells[0].decode(Int64.self), url: try cells[1].decode(String.self),
                        attempts: try cells[2].decode(Int.self), event: event,
                        lead: lead))
            }
            return deliveries
        }
    }

    public func recordWebhookAttempt(id: Int64, outcome: WebhookOutcome, now: Date, retryAt: Date) async throws {
        try await write { connection in
            switch outcome {
            case .delivered:
                try await connection.query(
                    """
                    UPDATE webhook_deliveries SET attempts = attempts + 1, delivered_at = \(now.epochSeconds), last_attempt_at = \(now.epochSeconds),
                        last_error = NULL WHERE id = \(id)
                    """, logger: self.logger)
            case .failed(let error):
                try await connection.query(
                    """
                    UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = \(retryAt.epochSeconds),
                        last_attempt_at = \(now.epochSeconds), last_error = \(error) WHERE id = \(id)
                    """, logger: self.logger)
            }
        }
    }

    public func webhookBacklog() async throws -> WebhookBacklog {
        try await read { connection in
            var backlog = WebhookBacklog()
            if let row = try await connection.rows(
                """
                SELECT count(*), count(*) FILTER (WHERE attempts > 0) FROM webhook_deliveries WHERE delivered_at IS NULL
                """, logger: self.logger
            ).first {
                (backlog.pending, backlog.failing) = try row.decode((Int, Int).self)
            }
            if let row = try await connection.rows(
                """
                SELECT url, last_error FROM webhook_deliveries WHERE delivered_at IS NULL AND attempts > 0
                ORDER BY last_attempt_at DESC, id DESC LIMIT 1
                """, logger: self.logger
            ).first {
                let (url, error) = try row.decode((String, String?).self)
                backlog.lastFailure = .init(url: url, error: error ?? "")
            }
            return backlog
        }
    }
}
