import Foundation
import NurtureCore
import PostgresNIO

extension PostgresStore {
    public func trackedMessage(row: Int64) async throws -> TrackedMessage? {
        try await read { try await trackedMessage(row: row, locking: false, on: $0) }
    }

    /// The message of a tracking URL; `locking` holds its row until the transaction ends,
    /// so two servers recording requests for one message take turns.
    func trackedMessage(row: Int64, locking: Bool, on connection: PostgresConnection) async throws -> TrackedMessage? {
        try await connection.rows("""
            SELECT delivered_at_ms, sent_at FROM messages WHERE id = \(row) \(unescaped: locking ? "FOR UPDATE" : "")
            """, logger: logger).first.map { result in
            let (deliveredMs, sent) = try result.decode((Int64?, Int64?).self)
            let delivered = deliveredMs.map(Date.init(epochMilliseconds:)) ?? sent.map(Date.init(epochSeconds:))
            return TrackedMessage(row: row, deliveredAt: delivered)
        }
    }

    public func track(_ request: TrackingRequest, classifier: ActivityClassifier, scoreRules: ScoreRules, decoyReach: TimeInterval) async throws
        -> ActivityVerdict?
    {
        try await write { connection in
            // Locked: two servers recording requests for one message see each other's.
            guard let message = try await trackedMessage(row: request.link.messageRow, locking: true, on: connection) else { return nil }
            let facts = try await storedFacts(
                messageRow: message.row, asked: .init(for: request.link), reach: DecoyReach(ip: request.ip, at: request.at, reach: decoyReach),
                on: connection)
            let verdict = classifier.classify(request, message: message, decoyFollowed: request.kind == .click && facts.decoyWithinReach)
            try await insertActivity(RecordedActivity(request: request, verdict: verdict), facts: facts, scoreRules: scoreRules, decoyReach: decoyReach, on: connection)
            return verdict
        }
    }

    public func recordActivity(_ activity: RecordedActivity, scoreRules: ScoreRules, decoyReach: TimeInterval) async throws {
        try await write { connection in
            let request = activity.request
            _ = try await trackedMessage(row: request.link.messageRow, locking: true, on: connection)
            let facts = try await storedFacts(
                messageRow: request.link.messageRow, asked: .init(for: request.link),
                reach: DecoyReach(ip: request.ip, at: request.at, reach: decoyReach), on: connection)
            try await insertActivity(activity, facts: facts, scoreRules: scoreRules, decoyReach: decoyReach, on: connection)
        }
    }

    /// What the tracking rules need to know of a message's stored requests
    /// (`StoredActivityFacts`), only those asked, each an EXISTS on an index (see the
    /// SQLite store: the same facts, the same costs). CASE keeps a fact not asked from
    /// being computed at all.
    private func storedFacts(
        messageRow: Int64, asked: StoredActivityFacts.Asked, reach: DecoyReach?, on connection: PostgresConnection
    ) async throws -> StoredActivityFacts {
        let (ip, from, to) = (reach?.ip, reach?.fromMilliseconds ?? 0, reach?.toMilliseconds ?? -1)
        let row = try await connection.rows("""
            SELECT CASE WHEN \(asked.humanOpen) THEN EXISTS (
                    SELECT 1 FROM activity WHERE message_row = \(messageRow) AND kind = 'open' AND class = 'human') ELSE false END,
                CASE WHEN \(asked.humanClick) THEN EXISTS (
                    SELECT 1 FROM activity WHERE message_row = \(messageRow) AND kind = 'click' AND class = 'human') ELSE false END,
                CASE WHEN \(asked.decoyWithinReach) THEN EXISTS (SELECT 1 FROM activity WHERE message_row = \(messageRow) AND decoy
                    AND ip = \(ip)::text AND occurred_at_ms BETWEEN \(from) AND \(to)) ELSE false END,
                CASE WHEN \(asked.humanClickOutsideReach) THEN EXISTS (SELECT 1 FROM activity WHERE message_row = \(messageRow) AND kind = 'click'
                    AND NOT decoy AND class = 'human' AND NOT (coalesce(ip = \(ip)::text, false) AND occurred_at_ms BETWEEN \(from) AND \(to)))
                    ELSE false END
            """, logger: logger).first
        let (humanOpen, humanClick, decoyWithinReach, outside) = try row?.decode((Bool, Bool, Bool, Bool).self) ?? (false, false, false, false)
        return StoredActivityFacts(humanOpen: humanOpen, humanClick: humanClick, decoyWithinReach: decoyWithinReach, humanClickOutsideReach: outside)
    }

    private func insertActivity(
        _ activity: RecordedActivity, facts: StoredActivityFacts, scoreRules: ScoreRules, decoyReach: TimeInterval, on connection: PostgresConnection
    ) async throws {
        let request = activity.request
        let row = request.link.messageRow
        var url: String?
        var link: Int?
        var decoy = false
        switch request.link {
        case .open: break
        case .click(_, let index, let target):
            url = target
            link = index
        case .decoy: decoy = true
        }
        let outcome = TrackingOutcome(storing: activity, facts: facts, rules: scoreRules, reach: decoyReach)
        try await connection.query("""
            INSERT INTO activity (message_row, kind, decoy, url, link, class, reason, occurred_at_ms, user_agent, ip)
            VALUES (\(row), \(request.kind.rawValue), \(decoy), \(url), \(link), \(activity.verdict.activityClass.rawValue),
                \(activity.verdict.reason), \(request.at.epochMilliseconds), \(request.userAgent.map { String($0.prefix(512)) }), \(request.ip))
            """, logger: logger)
        if let reach = outcome.unmask {
            try await connection.query("""
                UPDATE activity SET class = 'machine', reason = \(TrackingOutcome.unmaskReason) WHERE message_row = \(row) AND kind = 'click'
                    AND NOT decoy AND class <> 'machine' AND ip = \(reach.ip) AND occurred_at_ms BETWEEN \(reach.fromMilliseconds) AND \(reach.toMilliseconds)
                """, logger: logger)
        }
        if outcome.scoreChange != 0 {
            try await connection.query("""
                UPDATE leads SET score = score + \(outcome.scoreChange) WHERE id = (
                    SELECT e.lead_id FROM messages m JOIN enrollments e ON e.id = m.enrollment_id WHERE m.id = \(row))
                """, logger: logger)
        }
    }
}
