import Foundation
import NurtureCore
import PostgresNIO

extension PostgresStore {
    /// Enrols from the tags and events written by transactions that committed since the
    /// last pass. Sequence numbers are handed out before commit, so here (unlike SQLite,
    /// where one writer commits at a time) a row with a lower number can appear after a
    /// higher one was read; the pass reads instead by writing transaction: every row
    /// whose transaction id is at or above the oldest transaction still running at the
    /// last pass (`pg_snapshot_xmin`). Rows read twice are harmless: the unique
    /// (campaign, lead) constraint decides, also between two senders enrolling at once.
    public func enroll(campaignID: String, rule: EnrollmentRule, now: Date) async throws -> Int {
        let ruleText = rule.fingerprint
        let time = now.epochSeconds
        return try await write { connection in
            let stored = try await connection.rows(
                "SELECT rule, from_xid::text FROM enrollment_cursors WHERE campaign_id = \(campaignID)",
                logger: self.logger
            )
            .first.map { try $0.decode((String, String).self) }
            // A changed rule (or a new campaign) reads everything once.
            let from = stored?.0 == ruleText ? stored!.1 : "0"
            var entered = 0
            if !rule.tags.isEmpty {
                entered += try await connection.changes(
                    """
                    INSERT INTO enrollments (campaign_id, lead_id, state, enrolled_at, next_due_at)
                    SELECT DISTINCT \(campaignID), t.lead_id, 'active', \(time)::bigint, \(time)::bigint
                    FROM lead_tags t JOIN leads l ON l.id = t.lead_id
                    WHERE t.tag = ANY(\(rule.tags)) AND t.created_xid >= \(from)::xid8 AND l.status = 'active'
                        AND NOT EXISTS (SELECT 1 FROM events g WHERE g.lead_id = t.lead_id AND g.name = ANY(\(rule.unlessRecorded)) AND g.occurred_at <= \(time))
                    ON CONFLICT (campaign_id, lead_id) DO NOTHING RETURNING id
                    """, logger: self.logger)
            }
            if !rule.events.isEmpty {
                entered += try await connection.changes(
                    """
                    INSERT INTO enrollments (campaign_id, lead_id, state, enrolled_at, next_due_at)
                    SELECT DISTINCT \(campaignID), r.lead_id, 'active', \(time)::bigint, \(time)::bigint
                    FROM events r JOIN leads l ON l.id = r.lead_id
                    WHERE r.name = ANY(\(rule.events)) AND r.created_xid >= \(from)::xid8 AND r.occurred_at <= \(time)
                        AND l.status = 'active'
                        AND NOT EXISTS (SELECT 1 FROM events g WHERE g.lead_id = r.lead_id AND g.name = ANY(\(rule.unlessRecorded)) AND g.occurred_at <= \(time))
                    ON CONFLICT (campaign_id, lead_id) DO NOTHING RETURNING id
                    """, logger: self.logger)
            }
            // The next pass starts at the oldest transaction still running now, or earlier
            // at the first event recorded with a time after this tick's clock (`event --at`
            // in a replay), which is not read yet.
            try await connection.query(
                """
                INSERT INTO enrollment_cursors (campaign_id, rule, from_xid)
                SELECT \(campaignID), \(ruleText), least(pg_snapshot_xmin(pg_current_snapshot()),
                    (SELECT min(created_xid) FROM events WHERE name = ANY(\(rule.events)) AND created_xid >= \(from)::xid8 AND occurred_at > \(time)))
                ON CONFLICT (campaign_id) DO UPDATE SET rule = excluded.rule, from_xid = excluded.from_xid
                """, logger: self.logger)
            return entered
        }
    }

    public func refreshIfChanged(campaignID: String, fingerprint: String, now: Date) async throws -> Int {
        let key = "campaign_fingerprint:\(campaignID)"
        return try await write { connection in
            // Locked, so two senders starting at once refresh once.
            let stored = try await connection.rows(
                "SELECT value FROM settings WHERE key = \(key) FOR UPDATE", logger: self.logger
            )
            .first.map { try $0.decode(String.self) }
            guard stored != fingerprint else { return 0 }
            try await connection.query(
                """
                INSERT INTO settings (key, value) VALUES (\(key), \(fingerprint)) ON CONFLICT (key) DO UPDATE SET value = excluded.value
                """, logger: self.logger)
            guard stored != nil else { return 0 }
            return try await connection.changes(
                """
                UPDATE enrollments SET next_due_at = \(now.epochSeconds) WHERE campaign_id = \(campaignID) AND state = 'active' RETURNING id
                """, logger: self.logger)
        }
    }

    public func countKeptOut(campaignID: String, rule: EnrollmentRule, now: Date) async throws -> Int {
        guard !rule.unlessRecorded.isEmpty else { return 0 }
        let time = now.epochSeconds
        return try await read { connection in
            try await connection.count(
                """
                SELECT count(*) FROM leads l WHERE l.status = 'active'
                    AND NOT EXISTS (SELECT 1 FROM enrollments e WHERE e.campaign_id = \(campaignID) AND e.lead_id = l.id)
                    AND (EXISTS (SELECT 1 FROM lead_tags t WHERE t.lead_id = l.id AND t.tag = ANY(\(rule.tags)))
                        OR EXISTS (SELECT 1 FROM events v WHERE v.lead_id = l.id AND v.name = ANY(\(rule.events)) AND v.occurred_at <= \(time)))
                    AND EXISTS (SELECT 1 FROM events g WHERE g.lead_id = l.id AND g.name = ANY(\(rule.unlessRecorded)) AND g.occurred_at <= \(time))
                """, logger: self.logger)
        }
    }

    public func reachedGoals(campaignID: String, goals: [String], now: Date) async throws -> [ReachedGoal] {
        guard !goals.isEmpty else { return [] }
        return try await read { connection in
            try await connection.rows(
                """
                SELECT DISTINCT ON (e.id) e.id, g.name, g.occurred_at
                FROM events g JOIN enrollments e ON e.campaign_id = \(campaignID) AND e.lead_id = g.lead_id
                WHERE g.name = ANY(\(goals)) AND e.state = 'active' AND g.occurred_at >= e.enrolled_at AND g.occurred_at <= \(now.epochSeconds)
                ORDER BY e.id, g.occurred_at
                """, logger: self.logger
            ).map { row in
                let (id, event, at) = try row.decode((Int64, String, Int64).self)
                return ReachedGoal(enrollmentID: id, event: event, at: Date(epochSeconds: at))
            }
        }
    }

    public func countDue(now: Date, campaigns: [String]?) async throws -> Int {
        try await read { connection in
            try await connection.count(
                """
                SELECT count(*) FROM enrollments WHERE state = 'active' AND next_due_at IS NOT NULL AND next_due_at <= \(now.epochSeconds)
                    AND (\(campaigns)::text[] IS NULL OR campaign_id = ANY(\(campaigns)))
                """, logger: self.logger)
        }
    }

    /// Picks due enrolments for this sender: each is leased (for `lease`, by the server's
    /// clock) in the statement that picks it, skipping rows another sender is picking, so
    /// N senders share the work without a global lock. `apply` ends the lease with the
    /// decision; a sender that died lets its picks go when the lease runs out.
    public func dueEnrollments(now: Date, campaigns: [String], limit: Int) async throws -> [DueEnrollment] {
        let leaseSeconds = Double(lease.components.seconds)
        let picked = try await write { connection in
            try await connection.rows(
                """
                UPDATE enrollments e SET leased_until = now() + make_interval(secs => \(leaseSeconds))
                FROM (SELECT id FROM enrollments
                      WHERE state = 'active' AND next_due_at IS NOT NULL AND next_due_at <= \(now.epochSeconds)
                        AND campaign_id = ANY(\(campaigns)) AND (leased_until IS NULL OR leased_until < now())
                      ORDER BY next_due_at, id LIMIT \(limit) FOR UPDATE SKIP LOCKED) picked
                WHERE e.id = picked.id
                RETURNING e.id, e.campaign_id, e.enrolled_at, e.last_sent_at, e.lead_id, e.next_due_at
                """, logger: self.logger
            ).map { try $0.decode((Int64, String, Int64, Int64?, Int64, Int64).self) }
        }
        let ordered = picked.sorted { ($0.5, $0.0) < ($1.5, $1.0) }
        return try await withHistory(ordered.map { ($0.0, $0.1, $0.2, $0.3, $0.4) })
    }

    public func enrollments(campaignID: String) async throws -> [DueEnrollment] {
        let rows = try await read { connection in
            try await connection.rows(
                """
                SELECT id, campaign_id, enrolled_at, last_sent_at, lead_id FROM enrollments
                WHERE campaign_id = \(campaignID) AND state = 'active' ORDER BY id
                """, logger: self.logger
            ).map { try $0.decode((Int64, String, Int64, Int64?, Int64).self) }
        }
        var found: [DueEnrollment] = []
        // In pages, so a large campaign is read in bounded queries.
        for start in stride(from: 0, to: rows.count, by: 500) {
            found += try await withHistory(Array(rows[start..<min(rows.count, start + 500)]))
        }
        return found
    }

    /// Enrolments (id, campaign, enrolled, last sent, lead) with their leads, first
    /// events and message history, in four queries for the whole page.
    func withHistory(_ enrollments: [(Int64, String, Int64, Int64?, Int64)]) async throws -> [DueEnrollment] {
        guard !enrollments.isEmpty else { return [] }
        let leadIDs = Array(Set(enrollments.map(\.4)))
        let enrollmentIDs = enrollments.map(\.0)
        return try await read { connection in
            var leads: [Int64: Lead] = [:]
            for row in try await connection.rows(
                "SELECT \(unescaped: Self.leadColumns) FROM leads l WHERE l.id = ANY(\(leadIDs))", logger: self.logger)
            {
                if let lead = try Self.lead(from: row), let id = lead.id { leads[id] = lead }
            }
            for row in try await connection.rows(
                """
                SELECT lead_id, name, min(occurred_at) FROM events WHERE lead_id = ANY(\(leadIDs)) GROUP BY lead_id, name
                """, logger: self.logger)
            {
                let (lead, name, at) = try row.decode((Int64, String, Int64).self)
                leads[lead]?.firstEvents[name] = Date(epochSeconds: at)
            }
            // Message states, and the steps a person opened or clicked (machine and
            // unknown activity never satisfies `opened`/`clicked`).
            var history: [Int64: [(String, String, Int64?, Bool, Bool)]] = [:]
            for row in try await connection.rows(
                """
                SELECT m.enrollment_id, m.step_id, m.state, m.next_attempt_at,
                    EXISTS (SELECT 1 FROM activity a WHERE a.message_row = m.id AND a.kind = 'open' AND a.class = 'human'),
                    EXISTS (SELECT 1 FROM activity a WHERE a.message_row = m.id AND a.kind = 'click' AND a.class = 'human')
                FROM messages m WHERE m.enrollment_id = ANY(\(enrollmentIDs))
                """, logger: self.logger)
            {
                let (enrollment, step, state, retryAt, opened, clicked) = try row.decode(
                    (Int64, String, String, Int64?, Bool, Bool).self)
                history[enrollment, default: []].append((step, state, retryAt, opened, clicked))
            }
            return enrollments.compactMap { id, campaign, enrolledAt, lastSentAt, leadID in
                guard let lead = leads[leadID] else { return nil }
                var snapshot = EnrollmentSnapshot(
                    id: id, campaignID: campaign, enrolledAt: Date(epochSeconds: enrolledAt),
                    lastSentAt: lastSentAt.map(Date.init(epochSeconds:)))
                for (step, stateText, retryAt, opened, clicked) in history[id] ?? [] {
                    guard let state = MessageState(rawValue: stateText) else { continue }
                    snapshot.steps[step] = state
                    if state == .deferred, let retryAt { snapshot.retryAt[step] = Date(epochSeconds: retryAt) }
                    if opened { snapshot.opened.insert(step) }
                    if clicked { snapshot.clicked.insert(step) }
                }
                return DueEnrollment(snapshot: snapshot, lead: lead)
            }
        }
    }

    public func sentCounts(campaignID: String) async throws -> [String: Int] {
        try await read { connection in
            var counts: [String: Int] = [:]
            for row in try await connection.rows(
                """
                SELECT m.step_id, count(*) FROM messages m JOIN enrollments e ON e.id = m.enrollment_id
                WHERE e.campaign_id = \(campaignID) AND m.state = 'sent' GROUP BY 1
                """, logger: self.logger)
            {
                let (step, count) = try row.decode((String, Int).self)
                counts[step] = count
            }
            return counts
        }
    }

    public func knownSteps(campaignID: String) async throws -> [String: String]? {
        let text = try await setting("campaign_steps:\(campaignID)")
        guard let text, let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String]
        else { return nil }
        return object
    }

    public func recordKnownSteps(campaignID: String, templates: [String: String]) async throws {
        try await setSetting("campaign_steps:\(campaignID)", to: JSONText.object(templates))
    }

    func setting(_ key: String) async throws -> String? {
        try await read { connection in
            try await connection.rows("SELECT value FROM settings WHERE key = \(key)", logger: self.logger).first.map {
                try $0.decode(String.self)
            }
        }
    }

    /// Writes a setting unless it already holds `value` (the usual case writes nothing).
    func setSetting(_ key: String, to value: String) async throws {
        try await write { connection in
            try await connection.query(
                """
                INSERT INTO settings (key, value) VALUES (\(key), \(value))
                ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE settings.value IS DISTINCT FROM excluded.value
                """, logger: self.logger)
        }
    }
}
