import Foundation
import NurtureCore

extension SQLiteStore {
    public func metrics(now: Date) throws -> StoreMetrics {
        try connection.read {
            var metrics = StoreMetrics()
            try connection.prepare("SELECT state, count(*) FROM messages GROUP BY state").rows {
                metrics.messagesByState[$0.text(0) ?? ""] = Int($0.integer(1))
            }
            try connection.prepare("SELECT status, count(*) FROM leads GROUP BY status").rows {
                metrics.leadsByStatus[$0.text(0) ?? ""] = Int($0.integer(1))
            }
            try connection.prepare("SELECT count(*) FROM enrollments WHERE state = 'active'").rows {
                metrics.activeEnrollments = Int($0.integer(0))
            }
            metrics.dueNow = try countDue(now: now, campaigns: nil)
            try connection.prepare("SELECT kind, class, count(*) FROM activity GROUP BY 1, 2").rows { row in
                guard let kind = ActivityKind(rawValue: row.text(0) ?? ""),
                    let activityClass = ActivityClass(rawValue: row.text(1) ?? "")
                else { return }
                metrics.activity[kind, default: [:]][activityClass] = Int(row.integer(2))
            }
            try connection.prepare("SELECT count(*) FROM events WHERE name = 'unsubscribed'").rows {
                metrics.linkUnsubscribes = Int($0.integer(0))
            }
            try connection.prepare("SELECT kind, count(*) FROM inbound_messages GROUP BY kind").rows {
                metrics.inboundByKind[$0.text(0) ?? ""] = Int($0.integer(1))
            }
            try connection.prepare("SELECT count(*) FROM soft_bounces").rows {
                metrics.softBounces = Int($0.integer(0))
            }
            try connection.prepare(
                "SELECT name, count(*) FROM events WHERE name IN ('bounced', 'complained', 'replied') GROUP BY name"
            ).rows { metrics.inboundEvents[$0.text(0) ?? ""] = Int($0.integer(1)) }
            try connection.prepare(CampaignCountsSQL.sent).rows {
                metrics.campaigns[$0.text(0) ?? "", default: .init()].sent = Int($0.integer(1))
            }
            try connection.prepare(CampaignCountsSQL.engaged).rows { row in
                let campaign = row.text(0) ?? ""
                if row.text(1) == "open" {
                    metrics.campaigns[campaign, default: .init()].opened = Int(row.integer(2))
                } else {
                    metrics.campaigns[campaign, default: .init()].clicked = Int(row.integer(2))
                }
            }
            try connection.prepare(CampaignCountsSQL.converted).rows {
                metrics.campaigns[$0.text(0) ?? "", default: .init()].converted = Int($0.integer(1))
            }
            try connection.prepare("SELECT key, value FROM settings WHERE key IN ('last_tick_at', 'last_tick_seconds')")
                .rows { row in
                    guard let value = row.text(1).flatMap(Double.init) else { return }
                    if row.text(0) == "last_tick_at" {
                        metrics.lastTickAt = Date(timeIntervalSince1970: value)
                    } else {
                        metrics.lastTickSeconds = value
                    }
                }
            return metrics
        }
    }

    public func recordTick(finishedAt: Date, seconds: Double, outcome: TickOutcome) throws {
        try connection.transaction(durable: false) {
            for (key, value) in [
                ("last_tick_at", String(finishedAt.timeIntervalSince1970)), ("last_tick_seconds", String(seconds)),
            ] {
                try connection.prepare(
                    "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
                )
                .rows([.text(key), .text(value)])
            }
            switch outcome {
            case .stopped(let reason):
                try connection.prepare(
                    "INSERT INTO settings (key, value) VALUES ('last_tick_stop', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
                )
                .rows([.text(SendStatus.Stop(at: finishedAt, reason: reason).storedText)])
            case .delivered:
                try connection.prepare("DELETE FROM settings WHERE key = 'last_tick_stop'").rows()
            case .quiet: break
            }
        }
    }
}

/// The per-campaign counts of `/metrics` (PostgreSQL asks the same, in its own dialect).
private enum CampaignCountsSQL {
    static let sent =
        "SELECT e.campaign_id, count(*) FROM messages m JOIN enrollments e ON e.id = m.enrollment_id WHERE m.state = 'sent' GROUP BY 1"
    /// Messages a person opened or clicked (the hidden decoy is no click).
    static let engaged = """
        SELECT e.campaign_id, a.kind, count(DISTINCT a.message_row) FROM activity a
        JOIN messages m ON m.id = a.message_row JOIN enrollments e ON e.id = m.enrollment_id
        WHERE a.class = 'human' AND a.decoy = 0 GROUP BY 1, 2
        """
    static let converted = "SELECT campaign_id, count(*) FROM enrollments WHERE state = 'converted' GROUP BY 1"
}
