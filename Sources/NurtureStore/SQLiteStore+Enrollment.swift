import Foundation
import NurtureCore

extension SQLiteStore {
    public func enroll(campaignID: String, rule: EnrollmentRule, now: Date) throws -> Int {
        let ruleText = rule.fingerprint
        return try connection.transaction {
            var cursor: (rule: String, tagSeq: Int64, eventID: Int64)?
            try connection.prepare("SELECT rule, tag_seq, event_id FROM enrollment_cursors WHERE campaign_id = ?")
                .rows([.text(campaignID)]) { cursor = ($0.text(0) ?? "", $0.integer(1), $0.integer(2)) }
            // A changed rule (or a new campaign) reads everything once; after that, only what is new.
            let (tagSeq, eventID) = cursor?.rule == ruleText ? (cursor!.tagSeq, cursor!.eventID) : (0, 0)
            let entered =
                try enroll(
                    campaignID, from: "lead_tags", key: "seq", nameColumn: "tag", names: rule.tags, after: tagSeq,
                    unless: rule.unlessRecorded, now: now)
                + enroll(
                    campaignID, from: "events", key: "id", nameColumn: "name", names: rule.events, after: eventID,
                    unless: rule.unlessRecorded, now: now)
            var maxTag: Int64 = 0
            var maxEvent: Int64 = 0
            // An event recorded with a time after this tick's clock (`event --at` in a
            // replay) is not read yet: the cursor stops just before the first such event.
            try connection.prepare(
                """
                SELECT coalesce((SELECT max(seq) FROM lead_tags), 0),
                    min(coalesce((SELECT max(id) FROM events), 0), coalesce((SELECT min(id) - 1 FROM events WHERE occurred_at > ?), 1 << 62))
                """
            ).rows([.integer(now.epochSeconds)]) {
                maxTag = $0.integer(0)
                maxEvent = $0.integer(1)
            }
            try connection.prepare(
                """
                INSERT INTO enrollment_cursors (campaign_id, rule, tag_seq, event_id) VALUES (?, ?, ?, ?)
                ON CONFLICT (campaign_id) DO UPDATE SET rule = excluded.rule, tag_seq = excluded.tag_seq, event_id = excluded.event_id
                """
            ).rows([.text(campaignID), .text(ruleText), .integer(maxTag), .integer(maxEvent)])
            return entered
        }
    }

    public func refreshIfChanged(campaignID: String, fingerprint: String, now: Date) throws -> Int {
        try connection.transaction {
            let key = SQLiteStatement.Value.text("campaign_fingerprint:\(campaignID)")
            var stored: String?
            try connection.prepare("SELECT value FROM settings WHERE key = ?").rows([key]) { stored = $0.text(0) }
            guard stored != fingerprint else { return 0 }
            try connection.prepare(
                "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
            )
            .rows([key, .text(fingerprint)])
            // The first time a campaign is seen there is nothing to refresh.
            guard stored != nil else { return 0 }
            try connection.prepare("UPDATE enrollments SET next_due_at = ? WHERE campaign_id = ? AND state = 'active'")
                .rows([.integer(now.epochSeconds), .text(campaignID)])
            return connection.changes
        }
    }

    /// Enrols the active leads of rows in `table` (lead_tags or events) added after
    /// `cursor` whose `nameColumn` is one of `names`, but none that recorded one of
    /// `unless` (a goal it already met) by `now`. Table and column names are ours, never
    /// the user's; the values are bound.
    private func enroll(
        _ campaignID: String, from table: String, key: String, nameColumn: String, names: [String], after cursor: Int64,
        unless goals: [String],
        now: Date
    ) throws -> Int {
        guard !names.isEmpty else { return 0 }
        let time = SQLiteStatement.Value.integer(now.epochSeconds)
        let placeholders = Array(repeating: "?", count: names.count).joined(separator: ", ")
        // The goal list is the last parameter, one JSON array, numbered after the names.
        let goalsMet =
            goals.isEmpty
            ? ""
            : """
            AND NOT EXISTS (SELECT 1 FROM events g WHERE g.lead_id = r.lead_id AND g.name IN (SELECT value FROM json_each(?\(5 + names.count)))
                AND g.occurred_at <= ?2)
            """
        try connection.prepare(
            """
            INSERT INTO enrollments (campaign_id, lead_id, state, enrolled_at, next_due_at)
            SELECT DISTINCT ?, r.lead_id, 'active', ?, ? FROM \(table) r JOIN leads l ON l.id = r.lead_id
            WHERE r.\(key) > ? AND r.\(nameColumn) IN (\(placeholders)) AND l.status = 'active' \(table == "events" ? "AND r.occurred_at <= ?2" : "")
                \(goalsMet)
            ON CONFLICT (campaign_id, lead_id) DO NOTHING
            """
        ).rows(
            [.text(campaignID), time, time, .integer(cursor)] + names.map { .text($0) }
                + (goals.isEmpty ? [] : [.text(JSONText.array(goals))]))
        return connection.changes
    }

    public func countKeptOut(campaignID: String, rule: EnrollmentRule, now: Date) throws -> Int {
        guard !rule.unlessRecorded.isEmpty else { return 0 }
        var count = 0
        try connection.prepare(
            """
            SELECT count(*) FROM leads l WHERE l.status = 'active'
                AND NOT EXISTS (SELECT 1 FROM enrollments e WHERE e.campaign_id = ?1 AND e.lead_id = l.id)
                AND (EXISTS (SELECT 1 FROM lead_tags t WHERE t.lead_id = l.id AND t.tag IN (SELECT value FROM json_each(?2)))
                    OR EXISTS (SELECT 1 FROM events v WHERE v.lead_id = l.id AND v.name IN (SELECT value FROM json_each(?3)) AND v.occurred_at <= ?5))
                AND EXISTS (SELECT 1 FROM events g WHERE g.lead_id = l.id AND g.name IN (SELECT value FROM json_each(?4)) AND g.occurred_at <= ?5)
            """
        ).rows([
            .text(campaignID), .text(JSONText.array(rule.tags)), .text(JSONText.array(rule.events)),
            .text(JSONText.array(rule.unlessRecorded)),
            .integer(now.epochSeconds),
        ]) { count = Int($0.integer(0)) }
        return count
    }

    public func reachedGoals(campaignID: String, goals: [String], now: Date) throws -> [ReachedGoal] {
        guard !goals.isEmpty else { return [] }
        var reached: [ReachedGoal] = []
        try connection.read {
            // Driven from the goal events (few) to the enrolments by the (campaign, lead)
            // index; SQLite's bare columns beside min() come from the row with the minimum.
            try connection.prepare(
                """
                SELECT e.id, g.name, min(g.occurred_at) FROM events g JOIN enrollments e ON e.campaign_id = ?1 AND e.lead_id = g.lead_id
                WHERE g.name IN (SELECT value FROM json_each(?2)) AND e.state = 'active' AND g.occurred_at >= e.enrolled_at AND g.occurred_at <= ?3
                GROUP BY e.id ORDER BY e.id
                """
            ).rows([.text(campaignID), .text(JSONText.array(goals)), .integer(now.epochSeconds)]) { row in
                reached.append(
                    ReachedGoal(
                        enrollmentID: row.integer(0), event: row.text(1) ?? "", at: Date(epochSeconds: row.integer(2))))
            }
        }
        return reached
    }

    public func countDue(now: Date, campaigns: [String]?) throws -> Int {
        var count = 0
        // The campaign list travels as one JSON array parameter.
        try connection.prepare(
            """
            SELECT count(*) FROM enrollments WHERE state = 'active' AND next_due_at IS NOT NULL AND next_due_at <= ?
                AND (?2 IS NULL OR campaign_id IN (SELECT value FROM json_each(?2)))
            """
        ).rows([.integer(now.epochSeconds), campaigns.map { .text(JSONText.array($0)) } ?? .null]) {
            count = Int($0.integer(0))
        }
        return count
    }

    public func dueEnrollments(now: Date, campaigns: [String], limit: Int) throws -> [DueEnrollment] {
        try connection.read {
            // `+e.campaign_id`: without the `+`, SQLite walks the (campaign, lead) index,
            // every enrolment of the campaign, and sorts them for each batch (a tick with
            // 10,000 due among 1,000,000 took 6 times as long as among 10,000); with it, the
            // due index, which holds only what is due.
            try readEnrollments(
                where: """
                    e.state = 'active' AND e.next_due_at IS NOT NULL AND e.next_due_at <= ?
                        AND +e.campaign_id IN (SELECT value FROM json_each(?)) ORDER BY e.next_due_at, e.id LIMIT ?
                    """,
                [.integer(now.epochSeconds), .text(JSONText.array(campaigns)), .integer(Int64(limit))])
        }
    }

    /// Enrolments with their leads, tags, attributes and message history; `condition`
    /// filters and orders `enrollments e`.
    func readEnrollments(where condition: String, _ values: [SQLiteStatement.Value]) throws -> [DueEnrollment] {
        var found: [DueEnrollment] = []
        try connection.prepare(
            """
            SELECT e.id, e.campaign_id, e.enrolled_at, e.last_sent_at, \(Self.leadColumnsOfL)
            FROM enrollments e JOIN leads l ON l.id = e.lead_id WHERE \(condition)
            """
        ).rows(values) { row in
            guard let lead = Self.lead(from: row, offset: 4) else { return }
            let snapshot = EnrollmentSnapshot(
                id: row.integer(0), campaignID: row.text(1) ?? "", enrolledAt: Date(epochSeconds: row.integer(2)),
                lastSentAt: row.text(3) == nil ? nil : Date(epochSeconds: row.integer(3)))
            found.append(DueEnrollment(snapshot: snapshot, lead: lead))
        }
        let firstEvents = try firstEvents(ofLeads: found.compactMap(\.lead.id))
        var leads = found.map(\.lead)
        try fillTagsAndAttributes(&leads)
        var snapshots = found.map(\.snapshot)
        try fillHistory(&snapshots)
        for index in found.indices {
            found[index].lead = leads[index]
            found[index].lead.firstEvents = leads[index].id.flatMap { firstEvents[$0] } ?? [:]
            found[index].snapshot = snapshots[index]
        }
        return found
    }

    /// When each of these leads first recorded each event, in one query for a whole page
    /// of due enrolments (goal events are checked for every one of them).
    func firstEvents(ofLeads ids: [Int64]) throws -> [Int64: [String: Date]] {
        guard !ids.isEmpty else { return [:] }
        var events: [Int64: [String: Date]] = [:]
        try connection.prepare(
            """
            SELECT lead_id, name, min(occurred_at) FROM events WHERE lead_id IN (SELECT value FROM json_each(?)) GROUP BY lead_id, name
            """
        ).rows([.text(JSONText.integers(ids))]) { row in
            if let name = row.text(1) {
                events[row.integer(0), default: [:]][name] = Date(epochSeconds: row.integer(2))
            }
        }
        return events
    }

    /// Message states of a page of enrolments, and the steps a person opened or clicked,
    /// in one query for the whole page. Machine and unknown activity never satisfies
    /// `opened`/`clicked`.
    func fillHistory(_ snapshots: inout [EnrollmentSnapshot]) throws {
        guard !snapshots.isEmpty else { return }
        let positions = Dictionary(snapshots.indices.map { (snapshots[$0].id, $0) }) { first, _ in first }
        try connection.prepare(
            """
            SELECT m.enrollment_id, m.step_id, m.state, m.next_attempt_at,
                EXISTS (SELECT 1 FROM activity a WHERE a.message_row = m.id AND a.kind = 'open' AND a.class = 'human'),
                EXISTS (SELECT 1 FROM activity a WHERE a.message_row = m.id AND a.kind = 'click' AND a.class = 'human')
            FROM messages m WHERE m.enrollment_id IN (SELECT value FROM json_each(?))
            """
        ).rows([.text(JSONText.integers(snapshots.map(\.id)))]) { row in
            guard let index = positions[row.integer(0)], let step = row.text(1),
                let state = MessageState(rawValue: row.text(2) ?? "")
            else { return }
            snapshots[index].steps[step] = state
            if state == .deferred, row.text(3) != nil {
                snapshots[index].retryAt[step] = Date(epochSeconds: row.integer(3))
            }
            if row.integer(4) == 1 { snapshots[index].opened.insert(step) }
            if row.integer(5) == 1 { snapshots[index].clicked.insert(step) }
        }
    }

    public func apply(_ changes: [EnrollmentChange], now: Date) throws -> [Claim] {
        let time = SQLiteStatement.Value.integer(now.epochSeconds)
        // Claims only become dangerous once `sending`; that commit (handOver) is the
        // durable one, and it flushes this one with it.
        return try connection.transaction(durable: false) {
            var claims: [Claim] = []
            for change in changes {
                let enrollment = SQLiteStatement.Value.integer(change.enrollmentID)
                for skip in change.skipped {
                    try connection.prepare(
                        """
                        INSERT INTO messages (enrollment_id, step_id, state, claimed_at, detail) VALUES (?, ?, 'skipped', ?, ?)
                        ON CONFLICT (enrollment_id, step_id) DO NOTHING
                        """
                    ).rows([enrollment, .text(skip.step), time, .text(skip.reason)])
                }
                switch change.outcome {
                case .claim(let step, let messageID, let variant):
                    // Granted only while the lead may be mailed and the drip is live, checked
                    // inside this transaction: an unsubscribe a moment ago wins.
                    try connection.prepare(
                        """
                        INSERT INTO messages (enrollment_id, step_id, state, message_id, claimed_at, attempts, variant)
                        SELECT ?1, ?2, 'claimed', ?3, ?4, 1, ?5 WHERE EXISTS (
                            SELECT 1 FROM enrollments e JOIN leads l ON l.id = e.lead_id
                            WHERE e.id = ?1 AND e.state = 'active' AND l.status = 'active')
                        ON CONFLICT (enrollment_id, step_id) DO NOTHING
                        """
                    ).rows([enrollment, .text(step), .text(messageID), time, variant.map { .text($0) } ?? .null])
                    if connection.changes == 1 {
                        claims.append(
                            Claim(
                                rowID: connection.lastInsertRowID, enrollmentID: change.enrollmentID, step: step,
                                messageID: messageID, attempts: 1, variant: variant))
                        try setDue(change.enrollmentID, at: nil, step: step)
                    } else {
                        // Lost the claim: look again at the next tick, which sees why.
                        try setDue(change.enrollmentID, at: now.addingTimeInterval(60), step: step)
                    }
                case .retry(let step):
                    var claim: Claim?
                    try connection.prepare(
                        """
                        UPDATE messages SET state = 'claimed', attempts = attempts + 1, next_attempt_at = NULL
                        WHERE enrollment_id = ?1 AND step_id = ?2 AND state = 'deferred' AND EXISTS (
                            SELECT 1 FROM enrollments e JOIN leads l ON l.id = e.lead_id
                            WHERE e.id = ?1 AND e.state = 'active' AND l.status = 'active')
                        RETURNING id, message_id, attempts, variant
                        """
                    ).rows([enrollment, .text(step)]) {
                        claim = Claim(
                            rowID: $0.integer(0), enrollmentID: change.enrollmentID, step: step,
                            messageID: $0.text(1) ?? "", attempts: Int($0.integer(2)),
                            variant: $0.text(3))
                    }
                    if let claim { claims.append(claim) }
                    try setDue(change.enrollmentID, at: claim == nil ? now.addingTimeInterval(60) : nil, step: step)
                case .reschedule(let at, let step):
                    try setDue(change.enrollmentID, at: at, step: step)
                case .hold(let at, let step, let reason):
                    try connection.prepare(
                        "UPDATE enrollments SET next_due_at = ?, next_step_id = ?, held_reason = ? WHERE id = ? AND state = 'active'"
                    )
                    .rows([.integer(at.epochSeconds), .text(step), .text(reason), enrollment])
                case .end(let end, let reason, let at):
                    try connection.prepare(
                        """
                        UPDATE enrollments SET state = ?, ended_at = ?, end_reason = ?, next_due_at = NULL, next_step_id = NULL
                        WHERE id = ? AND state = 'active'
                        """
                    ).rows([
                        .text(end.rawValue), at.map { .integer($0.epochSeconds) } ?? time, .text(reason), enrollment,
                    ])
                }
            }
            return claims
        }
    }

    private func setDue(_ enrollmentID: Int64, at: Date?, step: String?) throws {
        try connection.prepare(
            "UPDATE enrollments SET next_due_at = ?, next_step_id = ?, held_reason = NULL WHERE id = ? AND state = 'active'"
        )
        .rows([at.map { .integer($0.epochSeconds) } ?? .null, step.map { .text($0) } ?? .null, .integer(enrollmentID)])
    }

    public func record(_ deliveries: [DeliveryRecord], now: Date) throws {
        guard !deliveries.isEmpty else { return }
        // Not flushed at once: lost to a power cut, a `sending` row stays `sending` and is
        // reported unknown, never resent; the next durable commit flushes it anyway.
        try connection.transaction(durable: false) { try write(deliveries, now: now) }
    }

    /// The outcomes' writes, inside the caller's transaction.
    func write(_ deliveries: [DeliveryRecord], now: Date) throws {
        let time = SQLiteStatement.Value.integer(now.epochSeconds)
        for delivery in deliveries {
            let row = SQLiteStatement.Value.integer(delivery.claim.rowID)
            let enrollment = delivery.claim.enrollmentID
            switch delivery.outcome {
            case .sent:
                try connection.prepare(
                    "UPDATE messages SET state = 'sent', sent_at = ?, delivered_at_ms = ?, last_error = NULL WHERE id = ?"
                )
                .rows([time, delivery.deliveredAt.map { .integer($0.epochMilliseconds) } ?? .null, row])
                // The last send, and what comes next (or the end of the drip), in one write.
                // An enrolment that ended meanwhile (a goal, an unsubscribe) keeps its
                // ending and only learns when it was last sent to, as on PostgreSQL.
                if delivery.completes {
                    try connection.prepare(
                        """
                        UPDATE enrollments SET last_sent_at = ?1,
                            state = CASE WHEN state = 'active' THEN 'completed' ELSE state END,
                            ended_at = CASE WHEN state = 'active' THEN ?1 ELSE ended_at END,
                            end_reason = CASE WHEN state = 'active' THEN 'every step is behind the lead' ELSE end_reason END,
                            next_due_at = CASE WHEN state = 'active' THEN NULL ELSE next_due_at END,
                            next_step_id = CASE WHEN state = 'active' THEN NULL ELSE next_step_id END
                        WHERE id = ?2
                        """
                    ).rows([time, .integer(enrollment)])
                } else {
                    try connection.prepare(
                        """
                        UPDATE enrollments SET last_sent_at = ?1,
                            next_due_at = CASE WHEN state = 'active' THEN ?2 ELSE next_due_at END,
                            next_step_id = CASE WHEN state = 'active' THEN ?3 ELSE next_step_id END
                        WHERE id = ?4
                        """
                    ).rows([
                        time, delivery.nextDueAt.map { .integer($0.epochSeconds) } ?? .null,
                        delivery.nextStep.map { .text($0) } ?? .null, .integer(enrollment),
                    ])
                }
            case .deferred(let retryAt, let error):
                try connection.prepare(
                    "UPDATE messages SET state = 'deferred', next_attempt_at = ?, last_error = ? WHERE id = ?"
                )
                .rows([.integer(retryAt.epochSeconds), .text(error), row])
                try setDue(enrollment, at: retryAt, step: delivery.claim.step)
            case .untried(let retryAt, let error):
                try connection.prepare(
                    """
                    UPDATE messages SET state = 'deferred', next_attempt_at = ?, last_error = ?, attempts = max(attempts - 1, 0) WHERE id = ?
                    """
                ).rows([.integer(retryAt.epochSeconds), .text(error), row])
                try setDue(enrollment, at: retryAt, step: delivery.claim.step)
            case .failed(let error, let bounce):
                try connection.prepare("UPDATE messages SET state = 'failed', last_error = ? WHERE id = ?").rows([
                    .text(error), row,
                ])
                if bounce {
                    try connection.prepare(
                        """
                        UPDATE leads SET status = 'bounced', status_changed_at = ?1, updated_at = ?1
                        WHERE id = (SELECT lead_id FROM enrollments WHERE id = ?2) AND status = 'active'
                        """
                    ).rows([time, .integer(enrollment)])
                    // Recorded as an event too (a timeline entry, a webhook's trigger).
                    if connection.changes == 1 {
                        try connection.prepare(
                            """
                            INSERT INTO events (lead_id, name, attributes, occurred_at)
                            SELECT lead_id, 'bounced', json_object('campaign', campaign_id, 'step', ?3, 'error', ?4), ?1 FROM enrollments WHERE id = ?2
                            """
                        ).rows([time, .integer(enrollment), .text(delivery.claim.step), .text(error)])
                    }
                }
                // The planner moves on (or ends the drip for a bounced lead) at once.
                try setDue(enrollment, at: now, step: nil)
            case .unknown(let error):
                try connection.prepare("UPDATE messages SET state = 'unknown', last_error = ? WHERE id = ?").rows([
                    .text(error), row,
                ])
            case .released:
                try connection.prepare("DELETE FROM messages WHERE id = ? AND state IN ('claimed', 'sending')").rows([
                    row
                ])
                try setDue(enrollment, at: now, step: delivery.claim.step)
            }
        }
    }
}
