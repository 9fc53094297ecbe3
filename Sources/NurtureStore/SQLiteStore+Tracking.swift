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
            let stored = try storedActivity(messageRow: message.row)
            let decoyFollowed = request.kind == .click && TrackingOutcome.decoyFollowed(ip: request.ip, at: request.at, stored: stored, reach: decoyReach)
            let verdict = classifier.classify(request, message: message, decoyFollowed: decoyFollowed)
            try insertActivity(RecordedActivity(request: request, verdict: verdict), stored: stored, scoreRules: scoreRules, decoyReach: decoyReach)
            return verdict
        }
    }

    /// Stores an already classified request (for tests and imports of past activity).
    public func recordActivity(_ activity: RecordedActivity, scoreRules: ScoreRules, decoyReach: TimeInterval) throws {
        try connection.transaction(durable: false) {
            let stored = try storedActivity(messageRow: activity.request.link.messageRow)
            try insertActivity(activity, stored: stored, scoreRules: scoreRules, decoyReach: decoyReach)
        }
    }

    /// The requests stored for a message, for the tracking rules.
    private func storedActivity(messageRow: Int64) throws -> [StoredActivity] {
        var stored: [StoredActivity] = []
        try connection.prepare("SELECT id, kind, decoy, ip, occurred_at_ms, class FROM activity WHERE message_row = ?").rows([.integer(messageRow)]) {
            guard let kind = ActivityKind(rawValue: $0.text(1) ?? ""), let activityClass = ActivityClass(rawValue: $0.text(5) ?? "") else { return }
            stored.append(StoredActivity(
                id: $0.integer(0), kind: kind, decoy: $0.integer(2) == 1, ip: $0.text(3), at: Date(epochMilliseconds: $0.integer(4)),
                activityClass: activityClass))
        }
        return stored
    }

    private func insertActivity(_ activity: RecordedActivity, stored: [StoredActivity], scoreRules: ScoreRules, decoyReach: TimeInterval) throws {
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
        let outcome = TrackingOutcome(storing: activity, stored: stored, rules: scoreRules, reach: decoyReach)
        try connection.prepare("""
            INSERT INTO activity (message_row, kind, decoy, url, link, class, reason, occurred_at_ms, user_agent, ip)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).rows([row, .text(request.kind.rawValue), .integer(decoy), url, link, .text(activity.verdict.activityClass.rawValue),
                       .text(activity.verdict.reason), .integer(request.at.epochMilliseconds),
                       Self.optional(request.userAgent.map { String($0.prefix(512)) }), Self.optional(request.ip)])
        if !outcome.unmasked.isEmpty {
            try connection.prepare("UPDATE activity SET class = 'machine', reason = ? WHERE id IN (SELECT value FROM json_each(?))")
                .rows([.text(TrackingOutcome.unmaskReason), .text(JSONText.integers(outcome.unmasked))])
        }
        if outcome.scoreChange != 0 {
            try connection.prepare("""
                UPDATE leads SET score = score + ? WHERE id = (
                    SELECT e.lead_id FROM messages m JOIN enrollments e ON e.id = m.enrollment_id WHERE m.id = ?)
                """).rows([.integer(Int64(outcome.scoreChange)), row])
        }
    }
}
