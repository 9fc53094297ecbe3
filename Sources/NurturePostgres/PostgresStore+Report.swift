import Foundation
import NurtureCore
import PostgresNIO

extension PostgresStore {
    public func report(campaignID: String, stepOrder: [String]) async throws -> CampaignReport {
        try await write { connection in
            // One snapshot for every count (a read-only repeatable-read transaction).
            try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
            var report = CampaignReport(campaignID: campaignID)
            if let row = try await connection.rows("""
                SELECT count(*), count(*) FILTER (WHERE e.state = 'active'), count(*) FILTER (WHERE e.state = 'completed'),
                    count(*) FILTER (WHERE e.state = 'exited'), count(*) FILTER (WHERE e.state = 'converted'),
                    count(*) FILTER (WHERE l.status = 'unsubscribed' AND e.state IN ('active', 'suppressed'))
                FROM enrollments e JOIN leads l ON l.id = e.lead_id WHERE e.campaign_id = \(campaignID)
                """, logger: logger).first {
                (report.enrolled, report.active, report.completed, report.exited, report.converted, report.unsubscribed) =
                    try row.decode((Int, Int, Int, Int, Int, Int).self)
            }
            var rows: [String: CampaignReport.StepRow] = [:]
            for row in try await connection.rows("""
                SELECT m.step_id, m.state, l.status = 'bounced', count(*)
                FROM messages m JOIN enrollments e ON e.id = m.enrollment_id JOIN leads l ON l.id = e.lead_id
                WHERE e.campaign_id = \(campaignID) GROUP BY 1, 2, 3
                """, logger: logger) {
                let (step, stateText, bounced, count) = try row.decode((String, String, Bool, Int).self)
                guard let state = MessageState(rawValue: stateText) else { continue }
                var entry = rows[step] ?? CampaignReport.StepRow(step: step)
                switch state {
                case .sent: entry.sent += count
                case .failed:
                    entry.failed += count
                    if bounced { entry.bounced += count }
                case .skipped: entry.skipped += count
                case .deferred, .claimed, .sending: entry.deferred += count
                case .unknown: entry.unknown += count
                }
                rows[step] = entry
            }
            for row in try await connection.rows("""
                SELECT m.step_id, a.kind, a.class = 'human', count(*), count(DISTINCT a.message_row)
                FROM activity a JOIN messages m ON m.id = a.message_row JOIN enrollments e ON e.id = m.enrollment_id
                WHERE e.campaign_id = \(campaignID) GROUP BY 1, 2, 3
                """, logger: logger) {
                let (step, kind, human, requests, messages) = try row.decode((String, String, Bool, Int, Int).self)
                var entry = rows[step] ?? CampaignReport.StepRow(step: step)
                switch (kind == ActivityKind.open.rawValue, human) {
                case (true, true): entry.totalOpens += requests; entry.uniqueOpens += messages
                case (false, true): entry.totalClicks += requests; entry.uniqueClicks += messages
                case (true, false): entry.machineOpens += requests
                case (false, false): entry.machineClicks += requests
                }
                rows[step] = entry
            }
            for row in try await connection.rows("""
                SELECT attributes ->> 'step', count(DISTINCT lead_id) FROM events
                WHERE name = 'unsubscribed' AND attributes ->> 'campaign' = \(campaignID) AND attributes ->> 'step' IS NOT NULL GROUP BY 1
                """, logger: logger) {
                let (step, count) = try row.decode((String, Int).self)
                rows[step, default: CampaignReport.StepRow(step: step)].unsubscribed = count
            }
            // A conversion is credited to the last step sent before it.
            for row in try await connection.rows("""
                SELECT s.step, count(*) FROM enrollments e CROSS JOIN LATERAL (
                    SELECT m.step_id AS step FROM messages m WHERE m.enrollment_id = e.id AND m.state = 'sent'
                    ORDER BY m.sent_at DESC, m.id DESC LIMIT 1) s
                WHERE e.campaign_id = \(campaignID) AND e.state = 'converted' GROUP BY 1
                """, logger: logger) {
                let (step, count) = try row.decode((String, Int).self)
                rows[step, default: CampaignReport.StepRow(step: step)].converted = count
            }
            let rest = rows.keys.filter { !stepOrder.contains($0) }.sorted()
            report.steps = (stepOrder + rest).map { rows[$0] ?? CampaignReport.StepRow(step: $0) }
            return report
        }
    }
}
