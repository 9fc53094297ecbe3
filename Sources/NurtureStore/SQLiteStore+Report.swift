import NurtureCore

extension SQLiteStore {
    public func report(campaignID: String, stepOrder: [String]) throws -> CampaignReport {
        try connection.read {
            var report = CampaignReport(campaignID: campaignID)
            let campaign = SQLiteStatement.Value.text(campaignID)
            try connection.prepare("""
                SELECT count(*), coalesce(sum(e.state = 'active'), 0), coalesce(sum(e.state = 'completed'), 0),
                    coalesce(sum(e.state = 'exited'), 0), coalesce(sum(e.state = 'converted'), 0),
                    coalesce(sum(l.status = 'unsubscribed' AND e.state IN ('active', 'suppressed')), 0)
                FROM enrollments e JOIN leads l ON l.id = e.lead_id WHERE e.campaign_id = ?
                """).rows([campaign]) { row in
                report.enrolled = Int(row.integer(0))
                report.active = Int(row.integer(1))
                report.completed = Int(row.integer(2))
                report.exited = Int(row.integer(3))
                report.converted = Int(row.integer(4))
                report.unsubscribed = Int(row.integer(5))
            }
            var rows: [String: CampaignReport.StepRow] = [:]
            try connection.prepare("""
                SELECT m.step_id, m.state, l.status = 'bounced', count(*)
                FROM messages m JOIN enrollments e ON e.id = m.enrollment_id JOIN leads l ON l.id = e.lead_id
                WHERE e.campaign_id = ? GROUP BY 1, 2, 3
                """).rows([campaign]) { row in
                guard let step = row.text(0), let state = MessageState(rawValue: row.text(1) ?? "") else { return }
                let count = Int(row.integer(3))
                var entry = rows[step] ?? CampaignReport.StepRow(step: step)
                switch state {
                case .sent: entry.sent += count
                case .failed:
                    entry.failed += count
                    if row.integer(2) == 1 { entry.bounced += count }
                case .skipped: entry.skipped += count
                case .deferred, .claimed, .sending: entry.deferred += count
                case .unknown: entry.unknown += count
                }
                rows[step] = entry
            }
            try connection.prepare("""
                SELECT m.step_id, a.kind, a.class = 'human', count(*), count(DISTINCT a.message_row)
                FROM activity a JOIN messages m ON m.id = a.message_row JOIN enrollments e ON e.id = m.enrollment_id
                WHERE e.campaign_id = ? GROUP BY 1, 2, 3
                """).rows([campaign]) { row in
                guard let step = row.text(0) else { return }
                let isOpen = row.text(1) == ActivityKind.open.rawValue
                let requests = Int(row.integer(3))
                let messages = Int(row.integer(4))
                var entry = rows[step] ?? CampaignReport.StepRow(step: step)
                switch (isOpen, row.integer(2) == 1) {
                case (true, true): entry.totalOpens += requests; entry.uniqueOpens += messages
                case (false, true): entry.totalClicks += requests; entry.uniqueClicks += messages
                case (true, false): entry.machineOpens += requests
                case (false, false): entry.machineClicks += requests
                }
                rows[step] = entry
            }
            try connection.prepare("""
                SELECT json_extract(attributes, '$.step'), count(DISTINCT lead_id) FROM events
                WHERE name = 'unsubscribed' AND json_extract(attributes, '$.campaign') = ? GROUP BY 1
                """).rows([campaign]) { row in
                guard let step = row.text(0) else { return }
                rows[step, default: CampaignReport.StepRow(step: step)].unsubscribed = Int(row.integer(1))
            }
            // A conversion is credited to the last step sent before it (a converted drip
            // sends nothing more, so that is its last sent step).
            try connection.prepare("""
                SELECT (SELECT m.step_id FROM messages m WHERE m.enrollment_id = e.id AND m.state = 'sent'
                        ORDER BY m.sent_at DESC, m.id DESC LIMIT 1) AS step, count(*)
                FROM enrollments e WHERE e.campaign_id = ? AND e.state = 'converted' GROUP BY 1
                """).rows([campaign]) { row in
                guard let step = row.text(0) else { return }
                rows[step, default: CampaignReport.StepRow(step: step)].converted = Int(row.integer(1))
            }
            let rest = rows.keys.filter { !stepOrder.contains($0) }.sorted()
            report.steps = (stepOrder + rest).map { rows[$0] ?? CampaignReport.StepRow(step: $0) }
            return report
        }
    }
}
