import Foundation
import NurtureCore
import PostgresNIO

extension PostgresStore {
    public func prepareStageChecks(fingerprint: String?) async throws -> Int {
        // Every tick and serve pass asks; almost always nothing changed, and then it only reads.
        let current = try await read { connection in
            try await connection.rows("SELECT value FROM settings WHERE key = 'stages'", logger: self.logger).first.map
            { try $0.decode(String.self) }
        }
        if current == fingerprint { return 0 }
        return try await write { connection in
            // Locked, so two senders starting at once queue every lead only once.
            let stored = try await connection.rows(
                "SELECT value FROM settings WHERE key = 'stages' FOR UPDATE", logger: self.logger
            )
            .first.map { try $0.decode(String.self) }
            guard let fingerprint else {
                if stored != nil {
                    try await connection.query("DELETE FROM settings WHERE key = 'stages'", logger: self.logger)
                    try await connection.query("DELETE FROM stage_checks", logger: self.logger)
                    try await connection.query("DELETE FROM stage_rechecks", logger: self.logger)
                    for (name, table, _) in Self.stageCheckTriggers {
                        try await connection.query(
                            "DROP TRIGGER IF EXISTS \(unescaped: "stage_check_" + name) ON \(unescaped: table)",
                            logger: self.logger)
                    }
                }
                return 0
            }
            guard stored != fingerprint else { return 0 }
            for (name, _, event) in Self.stageCheckTriggers {
                try await connection.query(
                    """
                    CREATE OR REPLACE TRIGGER \(unescaped: "stage_check_" + name) \(unescaped: event) FOR EACH ROW
                    \(unescaped: name == "human_activity" ? "WHEN (NEW.class = 'human')" : "") EXECUTE FUNCTION queue_stage_check()
                    """, logger: self.logger)
            }
            try await connection.query(
                """
                INSERT INTO settings (key, value) VALUES ('stages', \(fingerprint)) ON CONFLICT (key) DO UPDATE SET value = excluded.value
                """, logger: self.logger)
            return try await connection.count(
                """
                WITH queued AS (
                    INSERT INTO stage_checks (lead_id, seq) SELECT id, nextval('stage_check_seq') FROM leads ORDER BY id
                    ON CONFLICT (lead_id) DO NOTHING RETURNING 1)
                SELECT count(*) FROM queued
                """, logger: self.logger)
        }
    }

    /// The triggers that queue a lead for a stage check (name, table, event), as on
    /// SQLite: created while stages are configured, dropped when they are not.
    static let stageCheckTriggers = [
        ("leads_added", "leads", "AFTER INSERT ON leads"),
        ("leads_changed", "leads", "AFTER UPDATE OF first_name, last_name, timezone, attributes ON leads"),
        ("tags_added", "lead_tags", "AFTER INSERT ON lead_tags"),
        ("events_added", "events", "AFTER INSERT ON events"),
        ("human_activity", "activity", "AFTER INSERT ON activity"),
    ]

    public func queueStageRechecks(dueBy now: Date) async throws -> Int {
        let time = now.epochSeconds
        // Almost always none is due: one indexed read, no write.
        let due = try await read { connection in
            try await connection.rows("SELECT 1 FROM stage_rechecks WHERE at <= \(time) LIMIT 1", logger: self.logger)
                .isEmpty == false
        }
        guard due else { return 0 }
        return try await write { connection in
            try await connection.count(
                """
                WITH due AS (DELETE FROM stage_rechecks WHERE at <= \(time) RETURNING lead_id),
                queued AS (
                    INSERT INTO stage_checks (lead_id, seq) SELECT lead_id, nextval('stage_check_seq') FROM due
                    ON CONFLICT (lead_id) DO NOTHING RETURNING 1)
                SELECT count(*) FROM due
                """, logger: self.logger)
        }
    }

    public func queuedStageChecks(limit: Int) async throws -> [StageCheck] {
        try await read { connection in
            var checks: [StageCheck] = []
            for row in try await connection.rows(
                """
                SELECT \(unescaped: Self.leadColumns), q.seq FROM stage_checks q JOIN leads l ON l.id = q.lead_id ORDER BY q.seq LIMIT \(limit)
                """, logger: self.logger)
            {
                if let lead = try Self.lead(from: row) {
                    checks.append(StageCheck(lead: lead, seq: try Array(row)[12].decode(Int64.self)))
                }
            }
            let ids = checks.compactMap(\.lead.id)
            var events: [Int64: [String: Date]] = [:]
            for try await (lead, name, at) in try await connection.query(
                """
                SELECT lead_id, name, min(occurred_at) FROM events WHERE lead_id = ANY(\(ids)) GROUP BY lead_id, name
                """, logger: self.logger
            ).decode((Int64, String, Int64).self) {
                events[lead, default: [:]][name] = Date(epochSeconds: at)
            }
            let stages = try await self.stages(ofLeads: ids, on: connection)
            for index in checks.indices {
                let id = checks[index].lead.id ?? 0
                checks[index].lead.firstEvents = events[id] ?? [:]
                checks[index].lead.stages = stages[id] ?? []
            }
            return checks
        }
    }

    public func enterStages(
        _ entries: [StageEntry], done: [StageCheck], recheck: [StageRecheck], goalCampaigns: [String: [String]],
        now: Date
    ) async throws -> [StageEntry] {
        try await write { connection in
            var entered: [StageEntry] = []
            for entry in entries {
                let added = try await connection.changes(
                    """
                    INSERT INTO lead_stages (lead_id, stage, entered_at) VALUES (\(entry.leadID), \(entry.stage), \(entry.at.epochSeconds))
                    ON CONFLICT DO NOTHING RETURNING lead_id
                    """, logger: self.logger)
                guard added == 1 else { continue }
                entered.append(entry)
                _ = try await self.recordEvent(
                    leadID: entry.leadID, name: entry.stage, attributes: [:],
                    goalCampaigns: goalCampaigns[entry.stage] ?? [], at: entry.at.epochSeconds,
                    on: connection)
            }
            if !recheck.isEmpty {
                try await connection.query(
                    """
                    INSERT INTO stage_rechecks (lead_id, at) SELECT * FROM unnest(\(recheck.map(\.leadID))::bigint[], \(recheck.map(\.at.epochSeconds))::bigint[])
                    ON CONFLICT (lead_id) DO UPDATE SET at = least(stage_rechecks.at, excluded.at)
                    """, logger: self.logger)
            }
            // Our own stage events queued these leads again: checked once more, they enter
            // nothing, and the queue empties.
            let leads = done.map { $0.lead.id ?? 0 }
            let seqs = done.map(\.seq)
            try await connection.query(
                """
                DELETE FROM stage_checks q USING unnest(\(leads)::bigint[], \(seqs)::bigint[]) AS d(lead_id, seq)
                WHERE q.lead_id = d.lead_id AND q.seq <= d.seq
                """, logger: self.logger)
            return entered
        }
    }

    public func stages(ofLeads ids: [Int64]) async throws -> [Int64: Set<String>] {
        try await read { try await self.stages(ofLeads: ids, on: $0) }
    }

    func stages(ofLeads ids: [Int64], on connection: PostgresConnection) async throws -> [Int64: Set<String>] {
        guard !ids.isEmpty else { return [:] }
        var stages: [Int64: Set<String>] = [:]
        for try await (lead, stage) in try await connection.query(
            "SELECT lead_id, stage FROM lead_stages WHERE lead_id = ANY(\(ids))", logger: logger
        ).decode((Int64, String).self) {
            stages[lead, default: []].insert(stage)
        }
        return stages
    }

    public func stageCounts() async throws -> [String: Int] {
        try await read { connection in
            var counts: [String: Int] = [:]
            for try await (stage, count) in try await connection.query(
                "SELECT stage, count(*) FROM lead_stages GROUP BY stage", logger: self.logger
            )
            .decode((String, Int).self) {
                counts[stage] = count
            }
            return counts
        }
    }
}
