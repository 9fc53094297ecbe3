import Foundation
import NurtureCore
import PostgresNIO

extension PostgresStore {
    public func recordEvent(
        _ input: LeadInput, name: String, attributes: [String: String], goalCampaigns: [String], now: Date
    ) async throws -> [String] {
        _ = try await upsertLeads([input], now: now)
        let time = now.epochSeconds
        return try await write { connection in
            guard
                let leadID = try await connection.rows(
                    "SELECT id FROM leads WHERE email_key = \(input.email.normalized)", logger: self.logger
                )
                .first.map({ try $0.decode(Int64.self) })
            else { return [] }
            return try await self.recordEvent(
                leadID: leadID, name: name, attributes: attributes, goalCampaigns: goalCampaigns, at: time,
                on: connection)
        }
    }

    /// Records an event in the caller's transaction and ends the lead's active enrolments
    /// in `goalCampaigns` as converted; returns those campaigns.
    func recordEvent(
        leadID: Int64, name: String, attributes: [String: String], goalCampaigns: [String], at time: Int64,
        on connection: PostgresConnection
    ) async throws -> [String] {
        try await connection.query(
            """
            INSERT INTO events (lead_id, name, attributes, occurred_at) VALUES (\(leadID), \(name), \(JSONText.object(attributes))::jsonb, \(time))
            """, logger: logger)
        return try await connection.rows(
            """
            UPDATE enrollments SET state = 'converted', ended_at = \(time), end_reason = \("goal event '\(name)'"),
                next_due_at = NULL, next_step_id = NULL, leased_until = NULL
            WHERE campaign_id = ANY(\(goalCampaigns)) AND lead_id = \(leadID) AND state = 'active'
            RETURNING campaign_id
            """, logger: logger
        ).map { try $0.decode(String.self) }.sorted {
            goalCampaigns.firstIndex(of: $0) ?? 0 < goalCampaigns.firstIndex(of: $1) ?? 0
        }
    }

    public func unsubscribe(enrollmentID: Int64, step: String?, now: Date) async throws -> EmailAddress? {
        let time = now.epochSeconds
        return try await write { connection in
            guard
                let row = try await connection.rows(
                    """
                    SELECT l.id, l.email FROM enrollments e JOIN leads l ON l.id = e.lead_id WHERE e.id = \(enrollmentID) FOR UPDATE OF l
                    """, logger: self.logger
                ).first
            else { return nil }
            let (leadID, email) = try row.decode((Int64, String).self)
            // Bounced or complained stays as it is: those are stronger than an unsubscribe.
            let changed = try await connection.changes(
                """
                UPDATE leads SET status = 'unsubscribed', status_changed_at = \(time), updated_at = \(time)
                WHERE id = \(leadID) AND status = 'active' RETURNING id
                """, logger: self.logger)
            if changed > 0 {
                // Remembered as an event, so the report can say which step's link it was.
                try await connection.query(
                    """
                    INSERT INTO events (lead_id, name, attributes, occurred_at)
                    SELECT lead_id, 'unsubscribed', jsonb_strip_nulls(jsonb_build_object('campaign', campaign_id, 'step', \(step)::text)), \(time)
                    FROM enrollments WHERE id = \(enrollmentID)
                    """, logger: self.logger)
            }
            try await connection.query(
                """
                UPDATE enrollments SET state = 'suppressed', ended_at = \(time), end_reason = 'unsubscribed by link', next_due_at = NULL,
                    leased_until = NULL
                WHERE lead_id = \(leadID) AND state = 'active'
                """, logger: self.logger)
            return try EmailAddress(email)
        }
    }

    /// The first server or sender to need a secret generates it; the others read that one
    /// (the insert that loses the race changes nothing, and everyone reads the winner).
    public func linkSecret(generate: @Sendable () -> String) async throws -> String {
        let fresh = generate()
        return try await write { connection in
            try await connection.query(
                "INSERT INTO settings (key, value) VALUES ('link_secret', \(fresh)) ON CONFLICT (key) DO NOTHING",
                logger: self.logger)
            return try await connection.rows(
                "SELECT value FROM settings WHERE key = 'link_secret'", logger: self.logger
            )
            .first.map { try $0.decode(String.self) } ?? fresh
        }
    }

    public func replaceLinkSecret(with secret: String) async throws {
        try await write { connection in
            try await connection.query(
                """
                INSERT INTO settings (key, value) VALUES ('link_secret', \(secret)) ON CONFLICT (key) DO UPDATE SET value = excluded.value
                """, logger: self.logger)
        }
    }
}
