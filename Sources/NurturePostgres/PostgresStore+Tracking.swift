import Foundation
import NurtureCore
import PostgresNIO

extension PostgresStore {
    public func trackedMessage(row: Int64) async throws -> TrackedMessage? {
        try await read { try await trackedMessage(row: row, on: $0) }
    }

    func trackedMessage(row: Int64, on connection: PostgresConnection) async throws -> TrackedMessage? {
        try await connection.rows("SELECT delivered_at_ms, sent_at FROM messages WHERE id = \(row)", logger: logger).first.map { result in
            let (deliveredMs, sent) = try result.decode((Int64?, Int64?).self)
            let delivered = deliveredMs.map(Date.init(epochMilliseconds:)) ?? sent.map(Date.init(epochSeconds:))
            return TrackedMessage(row: row, deliveredAt: delivered)
        }
    }

    public func track(_ request: TrackingRequest, classifier: ActivityClassifier, scoreRules: ScoreRules, decoyReach: TimeInterval) async throws
        -> ActivityVerdict?
    {
        try await write { connection in
            // The message row is locked: two servers recording requests for the same
            // message at once take turns, so "first human open" is decided once.
            guard try await connection.count("SELECT count(*) FROM (SELECT 1 FROM messages WHERE id = \(request.link.messageRow) FOR UPDATE) m", logger: logger) == 1,
                let message = try await trackedMessage(row: request.link.messageRow, on: connection)
            else { return nil }
            var decoyFollowed = false
            if case .click = request.link, let ip = request.ip {
                decoyFollowed = try await connection.count("""
                    SELECT count(*) FROM (SELECT 1 FROM activity WHERE message_row = \(message.row) AND decoy AND ip = \(ip)
                        AND occurred_at_ms BETWEEN \(request.at.addingTimeInterval(-decoyReach).epochMilliseconds)
                        AND \(request.at.addingTimeInterval(decoyReach).epochMilliseconds) LIMIT 1) d
                    """, logger: logger) > 0
            }
            let verdict = classifier.classify(request, message: message, decoyFollowed: decoyFollowed)
            try await insertActivity(RecordedActivity(request: request, verdict: verdict), scoreRules: scoreRules, decoyReach: decoyReach, on: connection)
            return verdict
        }
    }

    public func recordActivity(_ activity: RecordedActivity, scoreRules: ScoreRules, decoyReach: TimeInterval) async throws {
        try await write { connection in
            try await insertActivity(activity, scoreRules: scoreRules, decoyReach: decoyReach, on: connection)
        }
    }

    private func insertActivity(_ activity: RecordedActivity, scoreRules: ScoreRules, decoyReach: TimeInterval, on connection: PostgresConnection) async throws {
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
        let hadHuman = try await hasHumanActivity(row, kind: request.kind, on: connection)
        try await connection.query("""
            INSERT INTO activity (message_row, kind, decoy, url, link, class, reason, occurred_at_ms, user_agent, ip)
            VALUES (\(row), \(request.kind.rawValue), \(decoy), \(url), \(link), \(activity.verdict.activityClass.rawValue),
                \(activity.verdict.reason), \(request.at.epochMilliseconds), \(request.userAgent.map { String($0.prefix(512)) }), \(request.ip))
            """, logger: logger)
        try await addScore(
            scoreRules.change(for: request.kind, hadHuman: hadHuman, hasHuman: hadHuman || activity.verdict.activityClass == .human),
            messageRow: row, on: connection)
        if decoy, let ip = request.ip {
            // A scanner that followed the decoy also followed the real links around the
            // same moment: those clicks become machine clicks.
            let hadHumanClick = try await hasHumanActivity(row, kind: .click, on: connection)
            try await connection.query("""
                UPDATE activity SET class = 'machine', reason = 'the same address followed the hidden decoy link'
                WHERE message_row = \(row) AND kind = 'click' AND NOT decoy AND ip = \(ip) AND class <> 'machine'
                    AND occurred_at_ms BETWEEN \(request.at.addingTimeInterval(-decoyReach).epochMilliseconds)
                    AND \(request.at.addingTimeInterval(decoyReach).epochMilliseconds)
                """, logger: logger)
            let hasHumanClick = try await hasHumanActivity(row, kind: .click, on: connection)
            try await addScore(scoreRules.change(for: .click, hadHuman: hadHumanClick, hasHuman: hasHumanClick), messageRow: row, on: connection)
        }
    }

    private func hasHumanActivity(_ row: Int64, kind: ActivityKind, on connection: PostgresConnection) async throws -> Bool {
        try await connection.count("""
            SELECT count(*) FROM (SELECT 1 FROM activity WHERE message_row = \(row) AND kind = \(kind.rawValue) AND class = 'human' LIMIT 1) h
            """, logger: logger) > 0
    }

    private func addScore(_ points: Int, messageRow: Int64, on connection: PostgresConnection) async throws {
        guard points != 0 else { return }
        try await connection.query("""
            UPDATE leads SET score = score + \(points) WHERE id = (
                SELECT e.lead_id FROM messages m JOIN enrollments e ON e.id = m.enrollment_id WHERE m.id = \(messageRow))
            """, logger: logger)
    }
}
