import Foundation
import NurtureCore

extension SQLiteStore {
    public func sendStatus(now: Date) throws -> SendStatus {
        var status = SendStatus()
        let time = SQLiteStatement.Value.integer(now.epochSeconds)
        try connection.prepare("SELECT count(*) FROM enrollments WHERE state = 'active'").rows {
            status.activeEnrollments = Int($0.integer(0))
        }
        status.dueNow = try countDue(now: now, campaigns: nil)
        status.dueNowList = try pendingEnrollments(due: "<=", time, limit: 20)
        status.nextDue = try pendingEnrollments(due: ">", time, limit: 10)
        let messageJoin =
            "FROM messages m JOIN enrollments e ON e.id = m.enrollment_id JOIN leads l ON l.id = e.lead_id"
        try connection.prepare(
            """
            SELECT e.campaign_id, m.step_id, l.email, coalesce(m.next_attempt_at, m.claimed_at), m.last_error \(messageJoin)
            WHERE m.state = 'deferred' ORDER BY m.next_attempt_at LIMIT 50
            """
        ).rows {
            status.deferred.append(
                .init(
                    campaignID: $0.text(0) ?? "", step: $0.text(1), email: $0.text(2) ?? "",
                    at: Date(epochSeconds: $0.integer(3)), reason: $0.text(4)))
        }
        try connection.prepare(
            """
            SELECT e.campaign_id, m.step_id, l.email, coalesce(m.message_id, ''), m.claimed_at, m.last_error \(messageJoin)
            WHERE m.state = 'unknown' ORDER BY m.claimed_at
            """
        ).rows {
            status.unknown.append(
                .init(
                    campaignID: $0.text(0) ?? "", step: $0.text(1) ?? "", email: $0.text(2) ?? "",
                    messageID: $0.text(3) ?? "",
                    since: Date(epochSeconds: $0.integer(4)), error: $0.text(5)))
        }
        try connection.prepare("SELECT count(*) FROM messages WHERE state IN ('claimed', 'sending')").rows {
            status.inFlight = Int($0.integer(0))
        }
        try connection.prepare("SELECT value FROM settings WHERE key = 'last_tick_stop'").rows {
            status.lastStop = SendStatus.Stop(storedText: $0.text(0) ?? "")
        }
        try connection.prepare("SELECT count(*) FROM enrollments WHERE state = 'active' AND held_reason IS NOT NULL")
            .rows { status.heldCount = Int($0.integer(0)) }
        try connection.prepare(
            """
            SELECT e.campaign_id, e.next_step_id, l.email, e.next_due_at, e.held_reason FROM enrollments e JOIN leads l ON l.id = e.lead_id
            WHERE e.state = 'active' AND e.held_reason IS NOT NULL ORDER BY e.next_due_at, e.id LIMIT 50
            """
        ).rows {
            status.held.append(
                .init(
                    campaignID: $0.text(0) ?? "", step: $0.text(1), email: $0.text(2) ?? "",
                    at: Date(epochSeconds: $0.integer(3)), reason: $0.text(4)))
        }
        return status
    }

    /// Active enrolments whose next look is due before (`<=`) or after (`>`) a time,
    /// earliest first. `comparison` is one of those two literals, never user input.
    private func pendingEnrollments(due comparison: String, _ time: SQLiteStatement.Value, limit: Int) throws
        -> [SendStatus.Pending]
    {
        precondition(comparison == "<=" || comparison == ">")
        var pending: [SendStatus.Pending] = []
        try connection.prepare(
            """
            SELECT e.campaign_id, e.next_step_id, l.email, e.next_due_at FROM enrollments e JOIN leads l ON l.id = e.lead_id
            WHERE e.state = 'active' AND e.next_due_at IS NOT NULL AND e.next_due_at \(comparison) ? ORDER BY e.next_due_at, e.id LIMIT ?
            """
        ).rows([time, .integer(Int64(limit))]) {
            pending.append(
                .init(
                    campaignID: $0.text(0) ?? "", step: $0.text(1), email: $0.text(2) ?? "",
                    at: Date(epochSeconds: $0.integer(3))))
        }
        return pending
    }

    public func timeline(email: EmailAddress) throws -> LeadTimeline? {
        guard let lead = try self.lead(email: email), let leadID = lead.id else { return nil }
        var timeline = LeadTimeline(lead: lead)
        func date(_ row: SQLiteStatement, _ column: Int32) -> Date? {
            row.text(column) == nil ? nil : Date(epochSeconds: row.integer(column))
        }
        try connection.prepare(
            """
            SELECT campaign_id, state, enrolled_at, next_due_at, next_step_id, ended_at, end_reason, held_reason FROM enrollments
            WHERE lead_id = ? ORDER BY enrolled_at, id
            """
        ).rows([.integer(leadID)]) {
            var enrollment = LeadTimeline.Enrollment(
                campaignID: $0.text(0) ?? "", state: $0.text(1) ?? "", enrolledAt: Date(epochSeconds: $0.integer(2)),
                nextDueAt: date($0, 3),
                nextStep: $0.text(4), endedAt: date($0, 5), endReason: $0.text(6))
            enrollment.heldReason = $0.text(7)
            timeline.enrollments.append(enrollment)
        }
        try connection.prepare(
            """
            SELECT e.campaign_id, m.step_id, m.state, coalesce(m.sent_at, m.claimed_at), coalesce(m.last_error, m.detail), m.variant
            FROM messages m JOIN enrollments e ON e.id = m.enrollment_id WHERE e.lead_id = ? ORDER BY coalesce(m.sent_at, m.claimed_at), m.id
            """
        ).rows([.integer(leadID)]) {
            timeline.messages.append(
                .init(
                    campaignID: $0.text(0) ?? "", step: $0.text(1) ?? "",
                    state: MessageState(rawValue: $0.text(2) ?? "") ?? .unknown,
                    at: Date(epochSeconds: $0.integer(3)), detail: $0.text(4), variant: $0.text(5)))
        }
        // One row per attribute (or one for an event without any), grouped by event id.
        var lastEvent: Int64?
        try connection.prepare(
            """
            SELECT events.id, events.name, events.occurred_at, j.key, j.value FROM events LEFT JOIN json_each(events.attributes) j
            WHERE events.lead_id = ? ORDER BY events.occurred_at, events.id
            """
        ).rows([.integer(leadID)]) {
            if lastEvent != $0.integer(0) {
                lastEvent = $0.integer(0)
                timeline.events.append(.init(name: $0.text(1) ?? "", at: Date(epochSeconds: $0.integer(2))))
            }
            if let key = $0.text(3) { timeline.events[timeline.events.count - 1].attributes[key] = $0.text(4) ?? "" }
        }
        try connection.prepare(
            """
            SELECT e.campaign_id, m.step_id, a.kind, a.url, a.decoy, a.class, a.reason, a.occurred_at_ms
            FROM activity a JOIN messages m ON m.id = a.message_row JOIN enrollments e ON e.id = m.enrollment_id
            WHERE e.lead_id = ? ORDER BY a.occurred_at_ms, a.id
            """
        ).rows([.integer(leadID)]) {
            guard let kind = ActivityKind(rawValue: $0.text(2) ?? "") else { return }
            timeline.activity.append(
                .init(
                    campaignID: $0.text(0) ?? "", step: $0.text(1) ?? "", kind: kind, url: $0.text(3),
                    decoy: $0.integer(4) == 1,
                    activityClass: $0.text(5) ?? "", reason: $0.text(6) ?? "",
                    at: Date(timeIntervalSince1970: Double($0.integer(7)) / 1000)))
        }
        return timeline
    }

    public func enrollments(campaignID: String) throws -> [DueEnrollment] {
        try connection.read {
            try readEnrollments(where: "e.campaign_id = ? AND e.state = 'active' ORDER BY e.id", [.text(campaignID)])
        }
    }
}
