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
            var decoyFollowed = false
            if case .click = request.link, let ip = request.ip {
                decoyFollowed = try self.decoyFollowed(messageRow: message.row, ip: ip, around: request.at, reach: decoyReach)
            }
            let verdict = classifier.classify(request, message: message, decoyFollowed: decoyFollowed)
            try insertActivity(RecordedActivity(request: request, verdict: verdict), scoreRules: scoreRules, decoyReach: decoyReach)
            return verdict
        }
    }

    /// Stores an already classified request (for tests and imports of past activity).
    public func recordActivity(_ activity: RecordedActivity, scoreRules: ScoreRules, decoyReach: TimeInterval) throws {
        try connection.transaction(durable: false) { try insertActivity(activity, scoreRules: scoreRules, decoyReach: decoyReach) }
    }

    private func decoyFollowed(messageRow: Int64, ip: String, around at: Date, reach: TimeInterval) throws -> Bool {
        var found = false
        try connection.prepare("""
            SELECT 1 FROM activity WHERE message_row = ? AND decoy = 1 AND ip = ? AND occurred_at_ms BETWEEN ? AND ? LIMIT 1
            """).rows([.integer(messageRow), .text(ip), .integer(at.addingTimeInterval(-reach).epochMilliseconds),
                       .integer(at.addingTimeInterval(reach).epochMilliseconds)]) { _ in found = true }
        return found
    }

    private func insertActivity(_ activity: RecordedActivity, scoreRules: ScoreRules, decoyReach: TimeInterval) throws {
        let request = activity.request
        let row = SQLiteStatement.Value.integer(request.link.messageRow)
        let kind = SQLiteStatement.Value.text(request.kind.rawValue)
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
        let hadHuman = try hasHumanActivity(messageRow: row, kind: kind)
        try connection.prepare("""
            INSERT INTO activity (message_row, kind, decoy, url, link, class, reason, occurred_at_ms, user_agent, ip)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).rows([row, kind, .integer(decoy), url, link, .text(activity.verdict.activityClass.rawValue),
                       .text(activity.verdict.reason), .integer(request.at.epochMilliseconds),
                       Self.optional(request.userAgent.map { String($0.prefix(512)) }), Self.optional(request.ip)])
        try addScore(
            scoreRules.change(for: request.kind, hadHuman: hadHuman, hasHuman: hadHuman || activity.verdict.activityClass == .human), messageRow: row)
        if decoy == 1, let ip = request.ip {
            try unmaskScannerClicks(messageRow: row, ip: ip, around: request.at, reach: decoyReach, scoreRules: scoreRules)
        }
    }

    private func hasHumanActivity(messageRow: SQLiteStatement.Value, kind: SQLiteStatement.Value) throws -> Bool {
        var found = false
        try connection.prepare("SELECT 1 FROM activity WHERE message_row = ? AND kind = ? AND class = 'human' LIMIT 1")
            .rows([messageRow, kind]) { _ in found = true }
        return found
    }

    private func addScore(_ points: Int, messageRow: SQLiteStatement.Value) throws {
        guard points != 0 else { return }
        try connection.prepare("""
            UPDATE leads SET score = score + ? WHERE id = (
                SELECT e.lead_id FROM messages m JOIN enrollments e ON e.id = m.enrollment_id WHERE m.id = ?)
            """).rows([.integer(Int64(points)), messageRow])
    }

    /// A scanner that followed the decoy also followed the real links around the same
    /// moment, possibly a little before it: those clicks become machine clicks, and
    /// the score they gave is taken back.
    private func unmaskScannerClicks(messageRow: SQLiteStatement.Value, ip: String, around at: Date, reach: TimeInterval, scoreRules: ScoreRules) throws {
        let clickKind = SQLiteStatement.Value.text(ActivityKind.click.rawValue)
        let hadHumanClick = try hasHumanActivity(messageRow: messageRow, kind: clickKind)
        try connection.prepare("""
            UPDATE activity SET class = 'machine', reason = 'the same address followed the hidden decoy link'
            WHERE message_row = ? AND kind = 'click' AND decoy = 0 AND ip = ? AND class != 'machine'
                AND occurred_at_ms BETWEEN ? AND ?
            """).rows([messageRow, .text(ip), .integer(at.addingTimeInterval(-reach).epochMilliseconds),
                       .integer(at.addingTimeInterval(reach).epochMilliseconds)])
        try addScore(
            scoreRules.change(for: .click, hadHuman: hadHumanClick, hasHuman: hasHumanActivity(messageRow: messageRow, kind: clickKind)),
            messageRow: messageRow)
    }
}
