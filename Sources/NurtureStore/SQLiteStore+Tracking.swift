import Foundation
import NurtureCore

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

    public func track(_ request: TrackingRequest, classifier: ActivityClassifier, scoreRules: ScoreRules, decoyReach: TimeInterval) throws
        -> ActivityVerdict?
    {
        // Tracking is not worth an fsync per request: a power cut may lose the last
        // clicks, never the store.
        try connection.transaction(durable: false) {
            guard let message = try trackedMessage(row: request.link.messageRow) else { return nil }
            let facts = try storedFacts(
                messageRow: message.row, asked: .init(for: request.link), reach: DecoyReach(ip: request.ip, at: request.at, reach: decoyReach))
            let verdict = classifier.classify(request, message: message, decoyFollowed: request.kind == .click && facts.decoyWithinReach)
            try insertActivity(RecordedActivity(request: request, verdict: verdict), facts: facts, scoreRules: scoreRules, decoyReach: decoyReach)
            return verdict
        }
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
    private func storedFacts(messageRow: Int64, asked: StoredActivityFacts.Asked, reach: DecoyReach?) throws -> StoredActivityFacts {
        var facts = StoredActivityFacts(humanOpen: false, humanClick: false, decoyWithinReach: false, humanClickOutsideReach: false)
        try connection.prepare("""
            SELECT ?5 AND EXISTS (SELECT 1 FROM activity WHERE message_row = ?1 AND kind = 'open' AND class = 'human'),
                ?6 AND EXISTS (SELECT 1 FROM activity WHERE message_row = ?1 AND kind = 'click' AND class = 'human'),
                ?7 AND EXISTS (SELECT 1 FROM activity WHERE message_row = ?1 AND decoy = 1 AND ip = ?2 AND occurred_at_ms BETWEEN ?3 AND ?4),
                ?8 AND EXISTS (SELECT 1 FROM activity WHERE message_row = ?1 AND kind = 'click' AND decoy = 0 AND class = 'human'
                    AND NOT (coalesce(ip = ?2, 0) AND occurred_at_ms BETWEEN ?3 AND ?4))
            """).rows([.integer(messageRow), Self.optional(reach?.ip), .integer(reach?.fromMilliseconds ?? 0), .integer(reach?.toMilliseconds ?? -1),
                       .integer(asked.humanOpen ? 1 : 0), .integer(asked.humanClick ? 1 : 0), .integer(asked.decoyWithinReach ? 1 : 0),
                       .integer(asked.humanClickOutsideReach ? 1 : 0)]) {
            facts = StoredActivityFacts(
                humanOpen: $0.integer(0) == 1, humanClick: $0.integer(1) == 1, decoyWithinReach: $0.integer(2) == 1,
                humanClickOutsideReach: $0.integer(3) == 1)
        }
        return facts
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
