import Foundation
import NurtureCore

extension SQLiteStore {
    public func inboundHandled(messageID: String) throws -> Bool {
        var found = false
        try connection.prepare("SELECT 1 FROM inbound_messages WHERE message_id = ?").rows([.text(messageID)]) { _ in
            found = true
        }
        return found
    }

    public func recordInbound(
        messageID: String, kind: String, statuses: [InboundStatusChange], softBounces: [InboundStatusChange],
        since: Date, now: Date
    ) throws -> [EmailAddress: Int]? {
        try connection.transaction {
            try connection.prepare(
                "INSERT OR IGNORE INTO inbound_messages (message_id, kind, handled_at) VALUES (?, ?, ?)"
            )
            .rows([.text(messageID), .text(kind), .integer(now.epochSeconds)])
            guard connection.changes == 1 else { return nil }
            try writeStatuses(statuses, now: now)
            var counts: [EmailAddress: Int] = [:]
            for bounce in softBounces {
                try connection.prepare(
                    """
                    INSERT INTO soft_bounces (lead_id, at, diagnostic, campaign_id, step_id)
                    SELECT id, ?, ?, ?, ? FROM leads WHERE email_key = ?
                    """
                ).rows([
                    .integer(now.epochSeconds), .text(bounce.reason), bounce.campaignID.map { .text($0) } ?? .null,
                    bounce.step.map { .text($0) } ?? .null, .text(bounce.email.normalized),
                ])
                try connection.prepare(
                    """
                    SELECT count(*) FROM soft_bounces b JOIN leads l ON l.id = b.lead_id WHERE l.email_key = ? AND b.at >= ?
                    """
                ).rows([.text(bounce.email.normalized), .integer(since.epochSeconds)]) {
                    counts[bounce.email] = Int($0.integer(0))
                }
            }
            return counts
        }
    }

    public func applyInboundStatuses(_ changes: [InboundStatusChange], now: Date) throws {
        try connection.transaction { try writeStatuses(changes, now: now) }
    }

    /// Each change, and its event when the status did change; inside the caller's transaction.
    private func writeStatuses(_ changes: [InboundStatusChange], now: Date) throws {
        for change in changes {
            try updateStatus(change.status, email: change.email, now: now)
            guard connection.changes == 1 else { continue }
            try connection.prepare(
                """
                INSERT INTO events (lead_id, name, attributes, occurred_at)
                SELECT id, ?, ?, ? FROM leads WHERE email_key = ?
                """
            ).rows([
                .text(change.status.rawValue), .text(JSONText.object(change.attributes)), .integer(now.epochSeconds),
                .text(change.email.normalized),
            ])
        }
    }

    public func origin(ofMessageRow row: Int64) throws -> MessageOrigin? {
        var origin: MessageOrigin?
        try connection.prepare(
            """
            SELECT l.email, e.campaign_id, m.step_id FROM messages m JOIN enrollments e ON e.id = m.enrollment_id
            JOIN leads l ON l.id = e.lead_id WHERE m.id = ?
            """
        ).rows([.integer(row)]) { row in
            guard let email = try? EmailAddress(row.text(0) ?? "") else { return }
            origin = MessageOrigin(email: email, campaignID: row.text(1) ?? "", step: row.text(2) ?? "")
        }
        return origin
    }

    public func wasMailed(_ email: EmailAddress) throws -> Bool {
        var found = false
        try connection.prepare(
            """
            SELECT 1 FROM leads l JOIN enrollments e ON e.lead_id = l.id JOIN messages m ON m.enrollment_id = e.id
            WHERE l.email_key = ? AND m.state IN ('sent', 'unknown') LIMIT 1
            """
        ).rows([.text(email.normalized)]) { _ in found = true }
        return found
    }
}
