import Foundation
import NurtureCore
import PostgresNIO

extension PostgresStore {
    public func inboundHandled(messageID: String) async throws -> Bool {
        try await read { connection in
            try await connection.count(
                "SELECT count(*) FROM inbound_messages WHERE message_id = \(messageID)", logger: self.logger) > 0
        }
    }

    public func recordInbound(
        messageID: String, kind: String, statuses: [InboundStatusChange], softBounces: [InboundStatusChange],
        since: Date, now: Date
    ) async throws -> [EmailAddress: Int]? {
        try await write { connection in
            let added = try await connection.changes(
                """
                INSERT INTO inbound_messages (message_id, kind, handled_at) VALUES (\(messageID), \(kind), \(now.epochSeconds))
                ON CONFLICT DO NOTHING RETURNING 1
                """, logger: self.logger)
            guard added == 1 else { return nil }
            try await Self.writeStatuses(statuses, now: now, on: connection, logger: self.logger)
            var counts: [EmailAddress: Int] = [:]
            for bounce in softBounces {
                counts[bounce.email] = try await connection.count(
                    """
                    WITH added AS (
                        INSERT INTO soft_bounces (lead_id, at, diagnostic, campaign_id, step_id)
                        SELECT id, \(now.epochSeconds), \(bounce.reason), \(bounce.campaignID), \(bounce.step)
                        FROM leads WHERE email_key = \(bounce.email.normalized)
                        RETURNING lead_id)
                    SELECT (SELECT count(*) FROM soft_bounces b JOIN leads l ON l.id = b.lead_id
                            WHERE l.email_key = \(bounce.email.normalized) AND b.at >= \(since.epochSeconds))
                        + (SELECT count(*) FROM added)
                    """, logger: self.logger)
            }
            return counts
        }
    }

    public func applyInboundStatuses(_ changes: [InboundStatusChange], now: Date) async throws {
        try await write { connection in
            try await Self.writeStatuses(changes, now: now, on: connection, logger: self.logger)
        }
    }

    /// Each change, and its event when the status did change; inside the caller's transaction.
    private static func writeStatuses(
        _ changes: [InboundStatusChange], now: Date, on connection: PostgresConnection, logger: Logger
    ) async throws {
        for change in changes {
            try await connection.query(
                """
                WITH changed AS (
                    UPDATE leads SET status = \(change.status.rawValue), status_changed_at = \(now.epochSeconds),
                        updated_at = \(now.epochSeconds)
                    WHERE email_key = \(change.email.normalized) AND status <> \(change.status.rawValue)
                    RETURNING id)
                INSERT INTO events (lead_id, name, attributes, occurred_at)
                SELECT id, \(change.status.rawValue), \(JSONText.object(change.attributes))::jsonb, \(now.epochSeconds)
                FROM changed
                """, logger: logger)
        }
    }

    public func origin(ofMessageRow row: Int64) async throws -> MessageOrigin? {
        let found = try await read { connection in
            try await connection.rows(
                """
                SELECT l.email, e.campaign_id, m.step_id FROM messages m JOIN enrollments e ON e.id = m.enrollment_id
                JOIN leads l ON l.id = e.lead_id WHERE m.id = \(row)
                """, logger: self.logger
            ).first.map { try $0.decode((String, String, String).self) }
        }
        guard let (address, campaign, step) = found, let email = try? EmailAddress(address) else { return nil }
        return MessageOrigin(email: email, campaignID: campaign, step: step)
    }

    public func wasMailed(_ email: EmailAddress) async throws -> Bool {
        try await read { connection in
            try await connection.count(
                """
                SELECT count(*) FROM (SELECT 1 FROM leads l JOIN enrollments e ON e.lead_id = l.id
                    JOIN messages m ON m.enrollment_id = e.id
                    WHERE l.email_key = \(email.normalized) AND m.state IN ('sent', 'unknown') LIMIT 1) found
                """, logger: self.logger) > 0
        }
    }
}
