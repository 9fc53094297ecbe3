import Foundation
import NurtureCore
import PostgresNIO

extension PostgresStore {
    public func reportTally(campaignID: String) async throws -> CampaignTally {
        try await write { connection in
            // One snapshot for every count (a read-only repeatable-read transaction).
            try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: self.logger)
            var tally = CampaignTally()
            tally.enrollments = try await connection.rows(
                """
                SELECT e.state, l.status, count(*) FROM enrollments e JOIN leads l ON l.id = e.lead_id WHERE e.campaign_id = \(campaignID) GROUP BY 1, 2
                """, logger: self.logger
            ).map { row in
                let (state, status, count) = try row.decode((String, String, Int).self)
                return .init(state: state, leadStatus: status, count: count)
            }
            tally.messages = try await connection.rows(
                """
                SELECT m.step_id, m.state, l.status = 'bounced', count(*)
                FROM messages m JOIN enrollments e ON e.id = m.enrollment_id JOIN leads l ON l.id = e.lead_id
                WHERE e.campaign_id = \(campaignID) GROUP BY 1, 2, 3
                """, logger: self.logger
            ).map { row in
                let (step, state, bounced, count) = try row.decode((String, String, Bool, Int).self)
                return .init(step: step, state: state, leadBounced: bounced, count: count)
            }
            tally.activity = try await connection.rows(
                """
                SELECT m.step_id, a.kind, a.class, count(*), count(DISTINCT a.message_row)
                FROM activity a JOIN messages m ON m.id = a.message_row JOIN enrollments e ON e.id = m.enrollment_id
                WHERE e.campaign_id = \(campaignID) GROUP BY 1, 2, 3
                """, logger: self.logger
            ).map { row in
                let (step, kind, activityClass, requests, messages) = try row.decode(
                    (String, String, String, Int, Int).self)
                return .init(
                    step: step, kind: kind, activityClass: activityClass, requests: requests, messages: messages)
            }
            for row in try await connection.rows(
                """
                SELECT attributes ->> 'step', count(DISTINCT lead_id) FROM events
                WHERE name = 'unsubscribed' AND attributes ->> 'campaign' = \(campaignID) AND attributes ->> 'step' IS NOT NULL GROUP BY 1
                """, logger: self.logger)
            {
                let (step, count) = try row.decode((String, Int).self)
                tally.unsubscribedByStep[step] = count
            }
            for row in try await connection.rows(
                """
                SELECT attributes ->> 'step', name, count(DISTINCT lead_id) FROM events
                WHERE name IN ('bounced', 'complained', 'replied') AND attributes ->> 'campaign' = \(campaignID)
                    AND attributes ->> 'step' IS NOT NULL
                GROUP BY 1, 2
                """, logger: self.logger)
            {
                let (step, name, count) = try row.decode((String, String, Int).self)
                tally.inboundEventsByStep[step, default: [:]][name] = count
            }
            for row in try await connection.rows(
                """
                SELECT step_id, count(*) FROM soft_bounces WHERE campaign_id = \(campaignID) AND step_id IS NOT NULL GROUP BY 1
                """, logger: self.logger)
            {
                let (step, count) = try row.decode((String, Int).self)
                tally.softBouncesByStep[step] = count
            }
            tally.unsubscribedElsewhere = try await connection.count(
                """
                SELECT count(*) FROM enrollments e JOIN leads l ON l.id = e.lead_id
                WHERE e.campaign_id = \(campaignID) AND l.status = 'unsubscribed' AND e.state IN ('active', 'suppressed') AND NOT EXISTS (
                    SELECT 1 FROM events v WHERE v.lead_id = e.lead_id AND v.name = 'unsubscribed'
                        AND v.attributes ->> 'campaign' = e.campaign_id AND v.attributes ->> 'step' IS NOT NULL)
                """, logger: self.logger)
            tally.held = try await connection.rows(
                """
                SELECT coalesce(next_step_id, '?'), held_reason, count(*) FROM enrollments
                WHERE campaign_id = \(campaignID) AND state = 'active' AND held_reason IS NOT NULL GROUP BY 1, 2
                """, logger: self.logger
            ).map { row in
                let (step, reason, leads) = try row.decode((String, String, Int).self)
                return .init(step: step, reason: reason, leads: leads)
            }
            tally.convertedSends = try await connection.rows(
                """
                SELECT e.id, m.step_id, m.sent_at, m.id FROM enrollments e JOIN messages m ON m.enrollment_id = e.id AND m.state = 'sent'
                WHERE e.campaign_id = \(campaignID) AND e.state = 'converted'
                """, logger: self.logger
            ).map { row in
                let (enrollment, step, sentAt, messageRow) = try row.decode((Int64, String, Int64, Int64).self)
                return .init(
                    enrollmentID: enrollment, step: step, sentAt: Date(epochSeconds: sentAt), messageRow: messageRow)
            }
            return tally
        }
    }
}

extension PostgresStore {
    public func linkTallies(campaignID: String) async throws -> [LinkTally] {
        try await read { connection in
            var tallies: [LinkTally] = []
            for try await (step, link, url, unique, human, machine, variant) in try await connection.query(
                """
                SELECT m.step_id, a.link, a.url, count(DISTINCT a.message_row) FILTER (WHERE a.class = 'human'),
                    count(*) FILTER (WHERE a.class = 'human'), count(*) FILTER (WHERE a.class <> 'human'), m.variant
                FROM activity a JOIN messages m ON m.id = a.message_row JOIN enrollments e ON e.id = m.enrollment_id
                WHERE e.campaign_id = \(campaignID) AND a.kind = 'click' AND NOT a.decoy AND a.link IS NOT NULL
                GROUP BY m.step_id, m.variant, a.link, a.url
                """, logger: self.logger
            ).decode((String, Int, String, Int, Int, Int, String?).self) {
                tallies.append(
                    LinkTally(
                        step: step, variant: variant, position: link, url: url, uniqueHumanClicks: unique,
                        humanClicks: human, machineClicks: machine))
            }
            return tallies
        }
    }
}

extension PostgresStore {
    public func sentMessages(campaignID: String) async throws -> [SentMessage] {
        try await read { connection in
            var messages: [SentMessage] = []
            for try await (row, enrollment, step, sentAt, opened, clicked, unsubscribed, converted, variant)
                in try await connection.query(
                    """
                    SELECT m.id, m.enrollment_id, m.step_id, m.sent_at,
                        EXISTS (SELECT 1 FROM activity a WHERE a.message_row = m.id AND a.kind = 'open' AND a.class = 'human'),
                        EXISTS (SELECT 1 FROM activity a WHERE a.message_row = m.id AND a.kind = 'click' AND NOT a.decoy AND a.class = 'human'),
                        EXISTS (SELECT 1 FROM events v WHERE v.lead_id = e.lead_id AND v.name = 'unsubscribed'
                            AND v.attributes ->> 'campaign' = e.campaign_id AND v.attributes ->> 'step' = m.step_id),
                        e.state = 'converted', m.variant
                    FROM messages m JOIN enrollments e ON e.id = m.enrollment_id
                    WHERE e.campaign_id = \(campaignID) AND m.state = 'sent' AND m.sent_at IS NOT NULL
                    """, logger: self.logger
                ).decode((Int64, Int64, String, Int64, Bool, Bool, Bool, Bool, String?).self)
            {
                messages.append(
                    SentMessage(
                        row: row, enrollmentID: enrollment, step: step, sentAt: Date(epochSeconds: sentAt),
                        opened: opened, clicked: clicked,
                        unsubscribed: unsubscribed, enrollmentConverted: converted, variant: variant))
            }
            return messages
        }
    }
}
