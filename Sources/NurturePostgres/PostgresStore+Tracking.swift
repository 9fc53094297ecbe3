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
            let stored = try await storedActivity(messageRow: message.row, on: connection)
            let decoyFollowed = request.kind == .click && TrackingOutcome.decoyFollowed(ip: request.ip, at: request.at, stored: stored, reach: decoyReach)
            let verdict = classifier.classify(request, message: message, decoyFollowed: decoyFollowed)
            try await insertActivity(RecordedActivity(request: request, verdict: verdict), stored: stored, scoreRules: scoreRules, decoyReach: decoyReach, on: connection)
            return verdict
        }
    }

    public func recordActivity(_ activity: RecordedActivity, scoreRules: ScoreRules, decoyReach: TimeInterval) async throws {
        try await write { connection in
            _ = try await trackedMessage(row: activity.request.link.messageRow, locking: true, on: connection)
            let stored = try await storedActivity(messageRow: activity.request.link.messageRow, on: connection)
            try await insertActivity(activity, stored: stored, scoreRules: scoreRules, decoyReach: decoyReach, on: connection)
        }
    }

    /// The requests stored for a message, for the tracking rules.
    private func storedActivity(messageRow: Int64, on connection: PostgresConnection) async throws -> [StoredActivity] {
        try await connection.rows("""
            SELECT id, kind, decoy, ip, occurred_at_ms, class FROM activity WHERE message_row = \(messageRow)
            """, logger: logger).compactMap { row in
            let (id, kind, decoy, ip, at, activityClass) = try row.decode((Int64, String, Bool, String?, Int64, String).self)
            guard let kind = ActivityKind(rawValue: kind), let activityClass = ActivityClass(rawValue: activityClass) else { return nil }
            return StoredActivity(id: id, kind: kind, decoy: decoy, ip: ip, at: Date(epochMilliseconds: at), activityClass: activityClass)
        }
    }

    private func insertActivity(
        _ activity: RecordedActivity, stored: [StoredActivity], scoreRules: ScoreRules, decoyReach: TimeInterval, on connection: PostgresConnection
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
        let outcome = TrackingOutcome(storing: activity, stored: stored, rules: scoreRules, reach: decoyReach)
        try await connection.query("""
            INSERT INTO activity (message_row, kind, decoy, url, link, class, reason, occurred_at_ms, user_agent, ip)
            VALUES (\(row), \(request.kind.rawValue), \(decoy), \(url), \(link), \(activity.verdict.activityClass.rawValue),
                \(activity.verdict.reason), \(request.at.epochMilliseconds), \(request.userAgent.map { String($0.prefix(512)) }), \(request.ip))
            """, logger: logger)
        if !outcome.unmasked.isEmpty {
            try await connection.query("""
                UPDATE activity SET class = 'machine', reason = \(TrackingOutcome.unmaskReason) WHERE id = ANY(\(outcome.unmasked))
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
