import Foundation
import NurtureCore
import PostgresNIO

extension PostgresStore {
    public func sendStatus(now: Date) async throws -> SendStatus {
        let time = now.epochSeconds
        var status = SendStatus()
        status.dueNow = try await countDue(now: now, campaigns: nil)
        return try await read { [status] connection in
            var status = status
            status.activeEnrollments = try await connection.count(
                "SELECT count(*) FROM enrollments WHERE state = 'active'", logger: self.logger)
            let pending = """
                SELECT e.campaign_id, e.next_step_id, l.email, e.next_due_at FROM enrollments e JOIN leads l ON l.id = e.lead_id
                WHERE e.state = 'active' AND e.next_due_at IS NOT NULL AND e.next_due_at
                """
            func pendingList(_ rows: [PostgresRow]) throws -> [SendStatus.Pending] {
                try rows.map { row in
                    let (campaign, step, email, at) = try row.decode((String, String?, String, Int64).self)
                    return SendStatus.Pending(
                        campaignID: campaign, step: step, email: email, at: Date(epochSeconds: at))
                }
            }
            status.dueNowList = try pendingList(
                try await connection.rows(
                    "\(unescaped: pending) <= \(time) ORDER BY e.next_due_at, e.id LIMIT 20", logger: self.logger))
            status.nextDue = try pendingList(
                try await connection.rows(
                    "\(unescaped: pending) > \(time) ORDER BY e.next_due_at, e.id LIMIT 10", logger: self.logger))
            let messageJoin =
                "FROM messages m JOIN enrollments e ON e.id = m.enrollment_id JOIN leads l ON l.id = e.lead_id"
            status.deferred = try await connection.rows(
                """
                SELECT e.campaign_id, m.step_id, l.email, coalesce(m.next_attempt_at, m.claimed_at), m.last_error \(unescaped: messageJoin)
                WHERE m.state = 'deferred' ORDER BY m.next_attempt_at LIMIT 50
                """, logger: self.logger
            ).map { row in
                let (campaign, step, email, at, reason) = try row.decode((String, String, String, Int64, String?).self)
                return .init(campaignID: campaign, step: step, email: email, at: Date(epochSeconds: at), reason: reason)
            }
            status.unknown = try await connection.rows(
                """
                SELECT e.campaign_id, m.step_id, l.email, coalesce(m.message_id, ''), m.claimed_at, m.last_error \(unescaped: messageJoin)
                WHERE m.state = 'unknown' ORDER BY m.claimed_at, m.id
                """, logger: self.logger
            ).map { row in
                let (campaign, step, email, messageID, since, error) = try row.decode(
                    (String, String, String, String, Int64, String?).self)
                return .init(
                    campaignID: campaign, step: step, email: email, messageID: messageID,
                    since: Date(epochSeconds: since), error: error)
            }
            status.inFlight = try await connection.count(
                "SELECT count(*) FROM messages WHERE state IN ('claimed', 'sending')", logger: self.logger)
            status.lastStop = try await connection.rows(
                "SELECT value FROM settings WHERE key = 'last_tick_stop'", logger: self.logger
            )
            .first.flatMap { SendStatus.Stop(storedText: try $0.decode(String.self)) }
            status.heldCount = try await connection.count(
                "SELECT count(*) FROM enrollments WHERE state = 'active' AND held_reason IS NOT NULL",
                logger: self.logger)
            status.held = try await connection.rows(
                """
                SELECT e.campaign_id, e.next_step_id, l.email, e.next_due_at, e.held_reason FROM enrollments e JOIN leads l ON l.id = e.lead_id
                WHERE e.state = 'active' AND e.held_reason IS NOT NULL ORDER BY e.next_due_at, e.id LIMIT 50
                """, logger: self.logger
            ).map { row in
                let (campaign, step, email, at, reason) = try row.decode((String, String?, String, Int64, String?).self)
                return .init(campaignID: campaign, step: step, email: email, at: Date(epochSeconds: at), reason: reason)
            }
            return status
        }
    }

    public func timeline(email: EmailAddress) async throws -> LeadTimeline? {
        guard let lead = try await lead(email: email), let leadID = lead.id else { return nil }
        return try await read { connection in
            var timeline = LeadTimeline(lead: lead)
            timeline.enrollments = try await connection.rows(
                """
                SELECT campaign_id, state, enrolled_at, next_due_at, next_step_id, ended_at, end_reason, held_reason FROM enrollments
                WHERE lead_id = \(leadID) ORDER BY enrolled_at, id
                """, logger: self.logger
            ).map { row in
                let (campaign, state, enrolled, due, step, ended, reason, held) = try row.decode(
                    (String, String, Int64, Int64?, String?, Int64?, String?, String?).self)
                var enrollment = LeadTimeline.Enrollment(
                    campaignID: campaign, state: state, enrolledAt: Date(epochSeconds: enrolled),
                    nextDueAt: due.map(Date.init(epochSeconds:)),
                    nextStep: step, endedAt: ended.map(Date.init(epochSeconds:)), endReason: reason)
                enrollment.heldReason = held
                return enrollment
            }
            timeline.messages = try await connection.rows(
                """
                SELECT e.campaign_id, m.step_id, m.state, coalesce(m.sent_at, m.claimed_at), coalesce(m.last_error, m.detail), m.variant
                FROM messages m JOIN enrollments e ON e.id = m.enrollment_id WHERE e.lead_id = \(leadID)
                ORDER BY coalesce(m.sent_at, m.claimed_at), m.id
                """, logger: self.logger
            ).map { row in
                let (campaign, step, state, at, detail, variant) = try row.decode(
                    (String, String, String, Int64, String?, String?).self)
                return .init(
                    campaignID: campaign, step: step, state: MessageState(rawValue: state) ?? .unknown,
                    at: Date(epochSeconds: at), detail: detail,
                    variant: variant)
            }
            timeline.events = try await connection.rows(
                """
                SELECT name, occurred_at, attributes::text FROM events WHERE lead_id = \(leadID) ORDER BY occurred_at, id
                """, logger: self.logger
            ).map { row in
                let (name, at, attributes) = try row.decode((String, Int64, String).self)
                return .init(
                    name: name, at: Date(epochSeconds: at), attributes: JSONText.textValues(ofObject: attributes))
            }
            timeline.activity = try await connection.rows(
                """
                SELECT e.campaign_id, m.step_id, a.kind, a.url, a.decoy, a.class, a.reason, a.occurred_at_ms
                FROM activity a JOIN messages m ON m.id = a.message_row JOIN enrollments e ON e.id = m.enrollment_id
                WHERE e.lead_id = \(leadID) ORDER BY a.occurred_at_ms, a.id
                """, logger: self.logger
            ).compactMap { row in
                let (campaign, step, kind, url, decoy, activityClass, reason, at) = try row.decode(
                    (String, String, String, String?, Bool, String, String, Int64).self)
                guard let kind = ActivityKind(rawValue: kind) else { return nil }
                return .init(
                    campaignID: campaign, step: step, kind: kind, url: url, decoy: decoy, activityClass: activityClass,
                    reason: reason,
                    at: Date(epochMilliseconds: at))
            }
            return timeline
        }
    }

    public func metrics(now: Date) async throws -> StoreMetrics {
        let due = try await countDue(now: now, campaigns: nil)
        return try await read { connection in
            var metrics = StoreMetrics()
            metrics.dueNow = due
            for row in try await connection.rows(
                "SELECT state, count(*) FROM messages GROUP BY state", logger: self.logger)
            {
                let (state, count) = try row.decode((String, Int).self)
                metrics.messagesByState[state] = count
            }
            for row in try await connection.rows(
                "SELECT status, count(*) FROM leads GROUP BY status", logger: self.logger)
            {
                let (status, count) = try row.decode((String, Int).self)
                metrics.leadsByStatus[status] = count
            }
            metrics.activeEnrollments = try await connection.count(
                "SELECT count(*) FROM enrollments WHERE state = 'active'", logger: self.logger)
            for row in try await connection.rows(
                "SELECT kind, class, count(*) FROM activity GROUP BY 1, 2", logger: self.logger)
            {
                let (kind, activityClass, count) = try row.decode((String, String, Int).self)
                guard let kind = ActivityKind(rawValue: kind),
                    let activityClass = ActivityClass(rawValue: activityClass)
                else { continue }
                metrics.activity[kind, default: [:]][activityClass] = count
            }
            metrics.linkUnsubscribes = try await connection.count(
                "SELECT count(*) FROM events WHERE name = 'unsubscribed'", logger: self.logger)
            for try await (kind, count) in try await connection.query(
                "SELECT kind, count(*) FROM inbound_messages GROUP BY kind", logger: self.logger
            ).decode((String, Int).self) {
                metrics.inboundByKind[kind] = count
            }
            metrics.softBounces = try await connection.count("SELECT count(*) FROM soft_bounces", logger: self.logger)
            for try await (name, count) in try await connection.query(
                "SELECT name, count(*) FROM events WHERE name IN ('bounced', 'complained', 'replied') GROUP BY name",
                logger: self.logger
            ).decode((String, Int).self) {
                metrics.inboundEvents[name] = count
            }
            // Per campaign (as on SQLite): sent, messages a person opened or clicked, conversions.
            for try await (campaign, count) in try await connection.query(
                """
                SELECT e.campaign_id, count(*) FROM messages m JOIN enrollments e ON e.id = m.enrollment_id WHERE m.state = 'sent' GROUP BY 1
                """, logger: self.logger
            ).decode((String, Int).self) {
                metrics.campaigns[campaign, default: .init()].sent = count
            }
            for try await (campaign, kind, count) in try await connection.query(
                """
                SELECT e.campaign_id, a.kind, count(DISTINCT a.message_row) FROM activity a
                JOIN messages m ON m.id = a.message_row JOIN enrollments e ON e.id = m.enrollment_id
                WHERE a.class = 'human' AND NOT a.decoy GROUP BY 1, 2
                """, logger: self.logger
            ).decode((String, String, Int).self) {
                if kind == "open" {
                    metrics.campaigns[campaign, default: .init()].opened = count
                } else {
                    metrics.campaigns[campaign, default: .init()].clicked = count
                }
            }
            for try await (campaign, count) in try await connection.query(
                "SELECT campaign_id, count(*) FROM enrollments WHERE state = 'converted' GROUP BY 1",
                logger: self.logger
            ).decode((String, Int).self) {
                metrics.campaigns[campaign, default: .init()].converted = count
            }
            for row in try await connection.rows(
                "SELECT key, value FROM settings WHERE key IN ('last_tick_at', 'last_tick_seconds')",
                logger: self.logger)
            {
                let (key, text) = try row.decode((String, String).self)
                guard let value = Double(text) else { continue }
                if key == "last_tick_at" {
                    metrics.lastTickAt = Date(timeIntervalSince1970: value)
                } else {
                    metrics.lastTickSeconds = value
                }
            }
            return metrics
        }
    }

    public func recordTick(finishedAt: Date, seconds: Double, outcome: TickOutcome) async throws {
        try await write { connection in
            for (key, value) in [
                ("last_tick_at", String(finishedAt.timeIntervalSince1970)), ("last_tick_seconds", String(seconds)),
            ] {
                try await connection.query(
                    """
                    INSERT INTO settings (key, value) VALUES (\(key), \(value)) ON CONFLICT (key) DO UPDATE SET value = excluded.value
                    """, logger: self.logger)
            }
            switch outcome {
            case .stopped(let reason):
                let stop = SendStatus.Stop(at: finishedAt, reason: reason).storedText
                try await connection.query(
                    """
                    INSERT INTO settings (key, value) VALUES ('last_tick_stop', \(stop)) ON CONFLICT (key) DO UPDATE SET value = excluded.value
                    """, logger: self.logger)
            case .delivered:
                try await connection.query("DELETE FROM settings WHERE key = 'last_tick_stop'", logger: self.logger)
            case .quiet: break
            }
        }
    }
}
