import Foundation
import NurtureCore

/// A tracking request waiting for the next group commit (see `SQLiteStore.track`).
struct PendingTrack {
    let request: TrackingRequest
    let classifier: ActivityClassifier
    let scoreRules: ScoreRules
    let decoyReach: TimeInterval
}

extension SQLiteStore {
    public func trackedMessage(row: Int64) throws -> TrackedMessage? {
        var message: TrackedMessage?
        try connection.prepare("SELECT delivered_at_ms, sent_at FROM messages WHERE id = ?").rows([.integer(row)]) { result in
            let delivered: Date? = result.text(0) != nil
                ? Date(epochMilliseconds: result.integer(0))
                : result.text(1) != nil ? Date(epochSeconds: result.integer(1)) : nil
            message = TrackedMessage(row: row, deliveredAt: delivered)
        }
        return message
    }

    /// Group commit: requests that arrive while one is being written queue up, and the
    /// next one to run writes them all in one transaction (one WAL append instead of one
    /// per request), each classified and scored in turn, so each sees those before it.
    /// The first caller leads: it lets the calls already queued on this actor join (one
    /// `Task.yield()`), writes, and answers every one.
    public func track(_ request: TrackingRequest, classifier: ActivityClassifier, scoreRules: ScoreRules, decoyReach: TimeInterval) async throws
        -> ActivityVerdict?
    {
        let (ticket, leads) = tracking.enqueue(PendingTrack(request: request, classifier: classifier, scoreRules: scoreRules, decoyReach: decoyReach))
        guard leads else { return try await withCheckedThrowingContinuation { tracking.wait(ticket, $0) } }
        await Task.yield()
        let group = tracking.takeGroup()
        // Tracking is not worth an fsync per request: a power cut may lose the last
        // clicks, never the store.
        let outcome = Result { try connection.transaction(durable: false) { try group.map { try trackOne($0.input) } } }
        return try tracking.answer(group, with: outcome, leader: ticket).get()
    }

    private func trackOne(_ pending: PendingTrack) throws -> ActivityVerdict? {
        let request = pending.request
        guard let message = try trackedMessage(row: request.link.messageRow) else { return nil }
        let facts = try storedFacts(
            messageRow: message.row, asked: .init(for: request.link), reach: DecoyReach(ip: request.ip, at: request.at, reach: pending.decoyReach))
        let verdict = pending.classifier.classify(request, message: message, decoyFollowed: request.kind == .click && facts.decoyWithinReach)
        try insertActivity(RecordedActivity(request: request, verdict: verdict), facts: facts, scoreRules: pending.scoreRules, decoyReach: pending.decoyReach)
        return verdict
    }

    /// Stores an already classified request (for tests and imports of past activity).
    public func recordActivity(_ activity: RecordedActivity, scoreRules: ScoreRules, decoyReach: TimeInterval) throws {
        try connection.transaction(durable: false) {
            let request = activity.request
            let facts = try storedFacts(
                messageRow: request.link.messageRow, asked: .init(for: request.link), reach: DecoyReach(ip: request.ip, at: request.at, reach: decoyReach))
            try insertActivity(activity, facts: facts, scoreRules: scoreRules, decoyReach: decoyReach)
        }
    }

    /// What the tracking rules need to know of a message's stored requests
    /// (`StoredActivityFacts`), only those asked, each an EXISTS on an index: the first
    /// three cost the same however many requests a message has had (a flood of clicks
    /// on one link stays cheap); the last, asked by decoy hits, walks its human clicks.
    /// Separate statements, because SQLite computes a constant subquery once before the
    /// row whether or not the row then needs it.
    private func storedFacts(messageRow: Int64, asked: StoredActivityFacts.Asked, reach: DecoyReach?) throws -> StoredActivityFacts {
        let row = SQLiteStatement.Value.integer(messageRow)
        // No address: a reach no request is within.
        let window: [SQLiteStatement.Value] = [Self.optional(reach?.ip), .integer(reach?.fromMilliseconds ?? 0), .integer(reach?.toMilliseconds ?? -1)]
        func exists(_ sql: String, _ values: [SQLiteStatement.Value] = []) throws -> Bool {
            var found = false
            try connection.prepare(sql).rows([row] + values) { found = $0.integer(0) == 1 }
            return found
        }
        return StoredActivityFacts(
            humanOpen: try asked.humanOpen && exists(FactSQL.humanOpen),
            humanClick: try asked.humanClick && exists(FactSQL.humanClick),
            decoyWithinReach: try asked.decoyWithinReach && exists(FactSQL.decoyWithinReach, window),
            humanClickOutsideReach: try asked.humanClickOutsideReach && exists(FactSQL.humanClickOutsideReach, window))
    }

    /// The facts' statements, written once (each request runs one or two of them).
    private enum FactSQL {
        static let humanOpen = "SELECT EXISTS (SELECT 1 FROM activity WHERE message_row = ? AND kind = 'open' AND class = 'human')"
        static let humanClick = "SELECT EXISTS (SELECT 1 FROM activity WHERE message_row = ? AND kind = 'click' AND class = 'human')"
        static let decoyWithinReach = """
            SELECT EXISTS (SELECT 1 FROM activity WHERE message_row = ? AND decoy = 1 AND ip = ? AND occurred_at_ms BETWEEN ? AND ?)
            """
        static let humanClickOutsideReach = """
            SELECT EXISTS (SELECT 1 FROM activity WHERE message_row = ? AND kind = 'click' AND decoy = 0 AND class = 'human'
                AND NOT (coalesce(ip = ?, 0) AND occurred_at_ms BETWEEN ? AND ?))
            """
    }

    private func insertActivity(_ activity: RecordedActivity, facts: StoredActivityFacts, scoreRules: ScoreRules, decoyReach: TimeInterval) throws {
        let request = activity.request
        let row = SQLiteStatement.Value.integer(request.link.messageRow)
        var url: SQLiteStatement.Value = .null
        var link: SQLiteStatement.Value = .null
        var decoy: Int64 = 0
        switch request.link {
        case .open: break
        case .click(_, let index, let target):
            url = .text(target)
            link = .integer(Int64(index))
        case .decoy: decoy = 1
        }
        let outcome = TrackingOutcome(storing: activity, facts: facts, rules: scoreRules, reach: decoyReach)
        try connection.prepare("""
            INSERT INTO activity (message_row, kind, decoy, url, link, class, reason, occurred_at_ms, user_agent, ip)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).rows([row, .text(request.kind.rawValue), .integer(decoy), url, link, .text(activity.verdict.activityClass.rawValue),
                       .text(activity.verdict.reason), .integer(request.at.epochMilliseconds),
                       Self.optional(request.userAgent.map { String($0.prefix(512)) }), Self.optional(request.ip)])
        if let reach = outcome.unmask {
            try connection.prepare("""
                UPDATE activity SET class = 'machine', reason = ? WHERE message_row = ? AND kind = 'click' AND decoy = 0
                    AND class <> 'machine' AND ip = ? AND occurred_at_ms BETWEEN ? AND ?
                """).rows([.text(TrackingOutcome.unmaskReason), row, .text(reach.ip), .integer(reach.fromMilliseconds), .integer(reach.toMilliseconds)])
        }
        if outcome.scoreChange != 0 {
            try connection.prepare("""
                UPDATE leads SET score = score + ? WHERE id = (
                    SELECT e.lead_id FROM messages m JOIN enrollments e ON e.id = m.enrollment_id WHERE m.id = ?)
                """).rows([.integer(Int64(outcome.scoreChange)), row])
        }
    }
}
