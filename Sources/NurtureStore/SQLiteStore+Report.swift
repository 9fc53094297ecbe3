import Foundation
import NurtureCore

extension SQLiteStore {
    public func reportTally(campaignID: String) throws -> CampaignTally {
        try connection.read {
            var tally = CampaignTally()
            let campaign = SQLiteStatement.Value.text(campaignID)
            try connection.prepare(
                """
                SELECT e.state, l.status, count(*) FROM enrollments e JOIN leads l ON l.id = e.lead_id WHERE e.campaign_id = ? GROUP BY 1, 2
                """
            ).rows([campaign]) { row in
                tally.enrollments.append(
                    .init(state: row.text(0) ?? "", leadStatus: row.text(1) ?? "", count: Int(row.integer(2))))
            }
            try connection.prepare(
                """
                SELECT m.step_id, m.state, l.status = 'bounced', count(*)
                FROM messages m JOIN enrollments e ON e.id = m.enrollment_id JOIN leads l ON l.id = e.lead_id
                WHERE e.campaign_id = ? GROUP BY 1, 2, 3
                """
            ).rows([campaign]) { row in
                tally.messages.append(
                    .init(
                        step: row.text(0) ?? "", state: row.text(1) ?? "", leadBounced: row.integer(2) == 1,
                        count: Int(row.integer(3))))
            }
            try connection.prepare(
                """
                SELECT m.step_id, a.kind, a.class, count(*), count(DISTINCT a.message_row)
                FROM activity a JOIN messages m ON m.id = a.message_row JOIN enrollments e ON e.id = m.enrollment_id
                WHERE e.campaign_id = ? GROUP BY 1, 2, 3
                """
            ).rows([campaign]) { row in
                tally.activity.append(
                    .init(
                        step: row.text(0) ?? "", kind: row.text(1) ?? "", activityClass: row.text(2) ?? "",
                        requests: Int(row.integer(3)),
                        messages: Int(row.integer(4))))
            }
            try connection.prepare(
                """
                SELECT json_extract(attributes, '$.step'), count(DISTINCT lead_id) FROM events
                WHERE name = 'unsubscribed' AND json_extract(attributes, '$.campaign') = ? AND json_extract(attributes, '$.step') IS NOT NULL
                GROUP BY 1
                """
            ).rows([campaign]) { row in
                if let step = row.text(0) { tally.unsubscribedByStep[step] = Int(row.integer(1)) }
            }
            try connection.prepare(
                """
                SELECT json_extract(attributes, '$.step'), name, count(DISTINCT lead_id) FROM events
                WHERE name IN ('bounced', 'complained', 'replied') AND json_extract(attributes, '$.campaign') = ?
                    AND json_extract(attributes, '$.step') IS NOT NULL
                GROUP BY 1, 2
                """
            ).rows([campaign]) { row in
                if let step = row.text(0) {
                    tally.inboundEventsByStep[step, default: [:]][row.text(1) ?? ""] = Int(row.integer(2))
                }
            }
            try connection.prepare(
                "SELECT step_id, count(*) FROM soft_bounces WHERE campaign_id = ? AND step_id IS NOT NULL GROUP BY 1"
            )
            .rows([campaign]) { row in
                if let step = row.text(0) { tally.softBouncesByStep[step] = Int(row.integer(1)) }
            }
            try connection.prepare(
                """
                SELECT count(*) FROM enrollments e JOIN leads l ON l.id = e.lead_id
                WHERE e.campaign_id = ?1 AND l.status = 'unsubscribed' AND e.state IN ('active', 'suppressed') AND NOT EXISTS (
                    SELECT 1 FROM events v WHERE v.lead_id = e.lead_id AND v.name = 'unsubscribed'
                        AND json_extract(v.attributes, '$.campaign') = ?1 AND json_extract(v.attributes, '$.step') IS NOT NULL)
                """
            ).rows([campaign]) { tally.unsubscribedElsewhere = Int($0.integer(0)) }
            try connection.prepare(
                """
                SELECT next_step_id, held_reason, count(*) FROM enrollments
                WHERE campaign_id = ? AND state = 'active' AND held_reason IS NOT NULL GROUP BY 1, 2
                """
            ).rows([campaign]) { row in
                tally.held.append(
                    .init(step: row.text(0) ?? "?", reason: row.text(1) ?? "", leads: Int(row.integer(2))))
            }
            try connection.prepare(
                """
                SELECT e.id, m.step_id, m.sent_at, m.id FROM enrollments e JOIN messages m ON m.enrollment_id = e.id AND m.state = 'sent'
                WHERE e.campaign_id = ? AND e.state = 'converted'
                """
            ).rows([campaign]) { row in
                tally.convertedSends.append(
                    .init(
                        enrollmentID: row.integer(0), step: row.text(1) ?? "",
                        sentAt: Date(epochSeconds: row.integer(2)), messageRow: row.integer(3)))
            }
            return tally
        }
    }
}

extension SQLiteStore {
    public func linkTallies(campaignID: String) throws -> [LinkTally] {
        try connection.read {
            var tallies: [LinkTally] = []
            try connection.prepare(
                """
                SELECT m.step_id, a.link, a.url, count(DISTINCT CASE WHEN a.class = 'human' THEN a.message_row END),
                    sum(a.class = 'human'), sum(a.class <> 'human'), m.variant
                FROM activity a JOIN messages m ON m.id = a.message_row JOIN enrollments e ON e.id = m.enrollment_id
                WHERE e.campaign_id = ? AND a.kind = 'click' AND a.decoy = 0 AND a.link IS NOT NULL
                GROUP BY m.step_id, m.variant, a.link, a.url
                """
            ).rows([.text(campaignID)]) { row in
                tallies.append(
                    LinkTally(
                        step: row.text(0) ?? "", variant: row.text(6), position: Int(row.integer(1)),
                        url: row.text(2) ?? "",
                        uniqueHumanClicks: Int(row.integer(3)), humanClicks: Int(row.integer(4)),
                        machineClicks: Int(row.integer(5))))
            }
            return tallies
        }
    }
}

extension SQLiteStore {
    public func sentMessages(campaignID: String) throws -> [SentMessage] {
        try connection.read {
            var messages: [SentMessage] = []
            try connection.prepare(
                """
                SELECT m.id, m.enrollment_id, m.step_id, m.sent_at,
                    EXISTS (SELECT 1 FROM activity a WHERE a.message_row = m.id AND a.kind = 'open' AND a.class = 'human'),
                    EXISTS (SELECT 1 FROM activity a WHERE a.message_row = m.id AND a.kind = 'click' AND a.decoy = 0 AND a.class = 'human'),
                    EXISTS (SELECT 1 FROM events v WHERE v.lead_id = e.lead_id AND v.name = 'unsubscribed'
                        AND json_extract(v.attributes, '$.campaign') = e.campaign_id AND json_extract(v.attributes, '$.step') = m.step_id),
                    e.state = 'converted', m.variant
                FROM messages m JOIN enrollments e ON e.id = m.enrollment_id
                WHERE e.campaign_id = ? AND m.state = 'sent' AND m.sent_at IS NOT NULL
                """
            ).rows([.text(campaignID)]) { row in
                messages.append(
                    SentMessage(
                        row: row.integer(0), enrollmentID: row.integer(1), step: row.text(2) ?? "",
                        sentAt: Date(epochSeconds: row.integer(3)),
                        opened: row.integer(4) == 1, clicked: row.integer(5) == 1, unsubscribed: row.integer(6) == 1,
                        enrollmentConverted: row.integer(7) == 1,
                        variant: row.text(8)))
            }
            return messages
        }
    }
}
