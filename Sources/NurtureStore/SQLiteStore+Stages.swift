import Foundation
import NurtureCore

extension SQLiteStore {
    public func prepareStageChecks(fingerprint: String?) throws -> Int {
        // Every tick and serve pass asks; almost always nothing changed, and then it only reads.
        var current: String?
        try connection.prepare("SELECT value FROM settings WHERE key = 'stages'").rows { current = $0.text(0) }
        if current == fingerprint { return 0 }
        return try connection.transaction {
            var stored: String?
            try connection.prepare("SELECT value FROM settings WHERE key = 'stages'").rows { stored = $0.text(0) }
            guard let fingerprint else {
                // No stages: stop queueing, and forget what was queued.
                if stored != nil {
                    try connection.prepare("DELETE FROM settings WHERE key = 'stages'").rows()
                    try connection.prepare("DELETE FROM stage_checks").rows()
                    try connection.prepare("DELETE FROM stage_rechecks").rows()
                    for (name, _, _, _) in Self.stageCheckTriggers {
                        try connection.prepare("DROP TRIGGER IF EXISTS stage_check_\(name)").rows()
                    }
                }
                return 0
            }
            guard stored != fingerprint else { return 0 }
            try connection.prepare(
                "INSERT INTO settings (key, value) VALUES ('stages', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
            )
            .rows([.text(fingerprint)])
            for (name, event, condition, lead) in Self.stageCheckTriggers {
                try connection.prepare(
                    """
                    CREATE TRIGGER IF NOT EXISTS stage_check_\(name) \(event) WHEN \(condition)
                    BEGIN
                        INSERT INTO stage_checks (lead_id, seq) VALUES (\(lead), (SELECT coalesce(max(seq), 0) + 1 FROM stage_checks))
                        ON CONFLICT (lead_id) DO UPDATE SET seq = excluded.seq;
                    END
                    """
                ).rows()
            }
            try connection.prepare(
                """
                INSERT INTO stage_checks (lead_id, seq) SELECT id, id + (SELECT coalesce(max(seq), 0) FROM stage_checks) FROM leads WHERE true
                ON CONFLICT (lead_id) DO NOTHING
                """
            ).rows()
            return connection.changes
        }
    }

    /// What queues a lead for a stage check (name, event, condition, the lead's id): a
    /// change to its fields or tags, an event, a person's open or click. Created while
    /// stages are configured, dropped when they are not, so without stages the writes
    /// they watch pay nothing.
    static let stageCheckTriggers: [(String, String, String, String)] = [
        ("leads_added", "AFTER INSERT ON leads", "1", "new.id"),
        ("leads_changed", "AFTER UPDATE OF first_name, last_name, timezone, attributes ON leads", "1", "new.id"),
        ("tags_added", "AFTER INSERT ON lead_tags", "1", "new.lead_id"),
        ("events_added", "AFTER INSERT ON events", "1", "new.lead_id"),
        (
            "human_activity", "AFTER INSERT ON activity", "new.class = 'human'",
            "(SELECT e.lead_id FROM messages m JOIN enrollments e ON e.id = m.enrollment_id WHERE m.id = new.message_row)"
        ),
    ]

    public func queueStageRechecks(dueBy now: Date) throws -> Int {
        let time = SQLiteStatement.Value.integer(now.epochSeconds)
        // Almost always none is due: one indexed read, no write.
        var due = false
        try connection.prepare("SELECT EXISTS (SELECT 1 FROM stage_rechecks WHERE at <= ?)").rows([time]) {
            due = $0.integer(0) == 1
        }
        guard due else { return 0 }
        return try connection.transaction {
            try connection.prepare(
                """
                INSERT INTO stage_checks (lead_id, seq)
                SELECT lead_id, lead_id + (SELECT coalesce(max(seq), 0) FROM stage_checks) FROM stage_rechecks WHERE at <= ?
                ON CONFLICT (lead_id) DO NOTHING
                """
            ).rows([time])
            try connection.prepare("DELETE FROM stage_rechecks WHERE at <= ?").rows([time])
            return connection.changes
        }
    }

    public func queuedStageChecks(limit: Int) throws -> [StageCheck] {
        try connection.read {
            var checks: [StageCheck] = []
            try connection.prepare(
                """
                SELECT \(Self.leadColumnsOfL), q.seq FROM stage_checks q JOIN leads l ON l.id = q.lead_id ORDER BY q.seq LIMIT ?
                """
            ).rows([.integer(Int64(limit))]) { row in
                if let lead = Self.lead(from: row) { checks.append(StageCheck(lead: lead, seq: row.integer(10))) }
            }
            var leads = checks.map(\.lead)
            try fillTagsAndAttributes(&leads)
            let ids = leads.compactMap(\.id)
            let events = try firstEvents(ofLeads: ids)
            let stages = try stages(ofLeads: ids)
            for index in checks.indices {
                let id = leads[index].id ?? 0
                checks[index].lead = leads[index]
                checks[index].lead.firstEvents = events[id] ?? [:]
                checks[index].lead.stages = stages[id] ?? []
            }
            return checks
        }
    }

    public func enterStages(
        _ entries: [StageEntry], done: [StageCheck], recheck: [StageRecheck], goalCampaigns: [String: [String]],
        now: Date
    ) throws -> [StageEntry] {
        try connection.transaction {
            let enter = try connection.prepare(
                "INSERT INTO lead_stages (lead_id, stage, entered_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")
            var entered: [StageEntry] = []
            for entry in entries {
                try enter.rows([.integer(entry.leadID), .text(entry.stage), .integer(entry.at.epochSeconds)])
                guard connection.changes == 1 else { continue }
                entered.append(entry)
                _ = try recordEvent(
                    leadID: entry.leadID, name: entry.stage, attributes: [:],
                    goalCampaigns: goalCampaigns[entry.stage] ?? [], at: entry.at)
            }
            let later = try connection.prepare(
                """
                INSERT INTO stage_rechecks (lead_id, at) VALUES (?, ?) ON CONFLICT (lead_id) DO UPDATE SET at = min(at, excluded.at)
                """)
            for item in recheck { try later.rows([.integer(item.leadID), .integer(item.at.epochSeconds)]) }
            // Our own stage events queued these leads again: checked once more, they enter
            // nothing, and the queue empties.
            let clear = try connection.prepare("DELETE FROM stage_checks WHERE lead_id = ? AND seq <= ?")
            for check in done { try clear.rows([.integer(check.lead.id ?? 0), .integer(check.seq)]) }
            return entered
        }
    }

    public func stages(ofLeads ids: [Int64]) throws -> [Int64: Set<String>] {
        guard !ids.isEmpty else { return [:] }
        var stages: [Int64: Set<String>] = [:]
        try connection.prepare(
            "SELECT lead_id, stage FROM lead_stages WHERE lead_id IN (SELECT value FROM json_each(?))"
        )
        .rows([.text(JSONText.integers(ids))]) { row in
            if let stage = row.text(1) { stages[row.integer(0), default: []].insert(stage) }
        }
        return stages
    }

    public func stageCounts() throws -> [String: Int] {
        var counts: [String: Int] = [:]
        try connection.prepare("SELECT stage, count(*) FROM lead_stages GROUP BY stage").rows { row in
            if let stage = row.text(0) { counts[stage] = Int(row.integer(1)) }
        }
        return counts
    }
}
