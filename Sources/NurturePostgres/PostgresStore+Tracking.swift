import Foundation
import NurtureCore
import PostgresNIO

extension PostgresStore {
    public func trackedMessage(row: Int64) async throws -> TrackedMessage? {
        try await read { try await self.trackedMessage(row: row, locking: false, on: $0) }
    }

    /// The message of a tracking URL; `locking` holds its row until the transaction ends,
    /// so two servers recording requests for one message take turns.
    func trackedMessage(row: Int64, locking: Bool, on connection: PostgresConnection) async throws -> TrackedMessage? {
        try await connection.rows(
            """
            SELECT delivered_at_ms, sent_at FROM messages WHERE id = \(row) \(unescaped: locking ? "FOR UPDATE" : "")
            """, logger: logger
        ).first.map { result in
            let (deliveredMs, sent) = try result.decode((Int64?, Int64?).self)
            let delivered = deliveredMs.map(Date.init(epochMilliseconds:)) ?? sent.map(Date.init(epochSeconds:))
            return TrackedMessage(row: row, deliveredAt: delivered)
        }
    }

    public func track(_ request: TrackingRequest, classifier: ActivityClassifier, decoyReach: TimeInterval) async throws
        -> ActivityVerdict?
    {
        try await track([request], classifier: classifier, decoyReach: decoyReach).first ?? nil
    }

    public func track(_ requests: [TrackingRequest], classifier: ActivityClassifier, decoyReach: TimeInterval)
        async throws -> [ActivityVerdict?]
    {
        try await write { connection in
            // Every message row locked first, in ascending order: two servers recording
            // requests for one message see each other's, and batches that share messages
            // wait for each other instead of deadlocking.
            var messages: [Int64: TrackedMessage] = [:]
            for row in Set(requests.map(\.link.messageRow)).sorted() {
                messages[row] = try await self.trackedMessage(row: row, locking: true, on: connection)
            }
            var verdicts: [ActivityVerdict?] = []
            for request in requests {
                guard let message = messages[request.link.messageRow] else {
                    verdicts.append(nil)
                    continue
                }
                let followed = try await self.decoyFollowed(before: request, reach: decoyReach, on: connection)
                let verdict = classifier.classify(request, message: message, decoyFollowed: followed)
                try await self.insertActivity(
                    RecordedActivity(request: request, verdict: verdict), decoyReach: decoyReach, on: connection)
                verdicts.append(verdict)
            }
            return verdicts
        }
    }

    public func recordActivity(_ activity: RecordedActivity, decoyReach: TimeInterval) async throws {
        try await write { connection in
            _ = try await self.trackedMessage(row: activity.request.link.messageRow, locking: true, on: connection)
            try await self.insertActivity(activity, decoyReach: decoyReach, on: connection)
        }
    }

    /// Whether the hidden decoy of a click's message was followed from the click's address
    /// within reach of it (false for opens and decoy hits), as on SQLite.
    private func decoyFollowed(before request: TrackingRequest, reach: TimeInterval, on connection: PostgresConnection)
        async throws -> Bool
    {
        guard case .click = request.link, let window = DecoyReach(ip: request.ip, at: request.at, reach: reach) else {
            return false
        }
        return try await connection.rows(
            """
            SELECT EXISTS (SELECT 1 FROM activity WHERE message_row = \(request.link.messageRow) AND decoy AND ip = \(window.ip)
                AND occurred_at_ms BETWEEN \(window.fromMilliseconds) AND \(window.toMilliseconds))
            """, logger: logger
        ).first?.decode(Bool.self) ?? false
    }

    private func insertActivity(
        _ activity: RecordedActivity, decoyReach: TimeInterval, on connection: PostgresConnection
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
        let outcome = TrackingOutcome(storing: request, reach: decoyReach)
        try await connection.query(
            """
            INSERT INTO activity (message_row, kind, decoy, url, link, class, reason, occurred_at_ms, user_agent, ip)
            VALUES (\(row), \(request.kind.rawValue), \(decoy), \(url), \(link), \(activity.verdict.activityClass.rawValue),
                \(activity.verdict.reason), \(request.at.epochMilliseconds), \(request.userAgent.map { String($0.prefix(512)) }), \(request.ip))
            """, logger: logger)
        if let reach = outcome.unmask {
            try await connection.query(
                """
                UPDATE activity SET class = 'machine', reason = \(TrackingOutcome.unmaskReason) WHERE message_row = \(row) AND kind = 'click'
                    AND NOT decoy AND class <> 'machine' AND ip = \(reach.ip) AND occurred_at_ms BETWEEN \(reach.fromMilliseconds) AND \(reach.toMilliseconds)
                """, logger: logger)
        }
    }
}
