import Foundation
import NurtureCore

extension SQLiteStore {
    public func unsubscribe(enrollmentID: Int64, step: String?, now: Date) throws -> EmailAddress? {
        try connection.transaction {
            guard
                let lead = try loadLead(
                    where: "id = (SELECT lead_id FROM enrollments WHERE id = ?)", .integer(enrollmentID)),
                let leadID = lead.id
            else { return nil }
            let time = SQLiteStatement.Value.integer(now.epochSeconds)
            // Bounced or complained stays as it is: those are stronger than an unsubscribe.
            try connection.prepare(
                """
                UPDATE leads SET status = 'unsubscribed', status_changed_at = ?1, updated_at = ?1 WHERE id = ?2 AND status = 'active'
                """
            ).rows([time, .integer(leadID)])
            if connection.changes > 0 {
                // Remembered as an event, so the report can say which step's link it was.
                try connection.prepare(
                    """
                    INSERT INTO events (lead_id, name, attributes, occurred_at)
                    SELECT lead_id, 'unsubscribed', json_object('campaign', campaign_id, 'step', ?), ? FROM enrollments WHERE id = ?
                    """
                ).rows([Self.optional(step), time, .integer(enrollmentID)])
            }
            try connection.prepare(
                """
                UPDATE enrollments SET state = 'suppressed', ended_at = ?, end_reason = 'unsubscribed by link', next_due_at = NULL
                WHERE lead_id = ? AND state = 'active'
                """
            ).rows([time, .integer(leadID)])
            return lead.email
        }
    }

    public func lead(enrollmentID: Int64) throws -> Lead? {
        try loadLead(where: "id = (SELECT lead_id FROM enrollments WHERE id = ?)", .integer(enrollmentID))
    }

    public func linkSecret(generate: @Sendable () -> String) throws -> String {
        try connection.transaction {
            var secret: String?
            try connection.prepare("SELECT value FROM settings WHERE key = 'link_secret'").rows { secret = $0.text(0) }
            if let secret { return secret }
            let fresh = generate()
            try connection.prepare("INSERT INTO settings (key, value) VALUES ('link_secret', ?)").rows([.text(fresh)])
            return fresh
        }
    }

    public func replaceLinkSecret(with secret: String) throws {
        try connection.transaction {
            try connection.prepare(
                """
                INSERT INTO settings (key, value) VALUES ('link_secret', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value
                """
            ).rows([.text(secret)])
        }
    }
}
