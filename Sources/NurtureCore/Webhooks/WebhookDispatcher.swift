import Foundation

/// Posts what the webhook outbox holds: each delivery signed, with its idempotency id,
/// retried with growing waits until a 2xx answer. At least once: a receiver that
/// answered but whose answer was lost gets the same delivery (the same id) again.
public struct WebhookDispatcher: Sendable {
    public var store: any Store
    public var poster: any WebhookPoster
    public var secret: String
    public var scoreRules: ScoreRules
    public var stageOrder: [String]
    /// The real clock, for the signature's timestamp (`now` may be a replayed time).
    public var wallClock: @Sendable () -> Date
    public var pageSize = 50
    /// How long a claimed delivery is held for the process that claimed it.
    public var lease: TimeInterval = 300

    public init(
        store: any Store, poster: any WebhookPoster, secret: String, scoreRules: ScoreRules, stageOrder: [String],
        wallClock: @escaping @Sendable () -> Date
    ) {
        self.store = store
        self.poster = poster
        self.secret = secret
        self.scoreRules = scoreRules
        self.stageOrder = stageOrder
        self.wallClock = wallClock
    }

    /// 1, 2, 4 … minutes after each failed attempt, at most an hour.
    public static func retryDelay(afterAttempts attempts: Int) -> TimeInterval {
        min(3600, 60 * pow(2, Double(max(0, min(attempts, 20) - 1))))
    }

    /// Posts every delivery due at `now`; returns how many were delivered and failed.
    @discardableResult
    public func run(now: Date) async throws -> (delivered: Int, failed: Int) {
        var (delivered, failed) = (0, 0)
        while true {
            let due = try await store.claimWebhookDeliveries(now: now, limit: pageSize, lease: lease)
            if due.isEmpty { return (delivered, failed) }
            let ids = Array(Set(due.compactMap(\.lead.id)))
            let evidence = try await store.scoreEvidence(leadIDs: ids, events: scoreRules.scoredEvents)
            let stages = try await store.stages(ofLeads: ids)
            for var delivery in due {
                let leadID = delivery.lead.id ?? 0
                delivery.lead.stages = stages[leadID] ?? []
                // The score as the event found it. Events keep whole seconds, so what
                // happened within the event's second (the click that made an mql) counts.
                let score = scoreRules.score(of: delivery.lead, evidence: evidence[leadID] ?? [], at: delivery.event.at.addingTimeInterval(0.999))
                let body = WebhookPayload.body(for: delivery, score: score, stageOrder: stageOrder)
                let timestamp = Int64(wallClock().timeIntervalSince1970)
                let headers = [
                    ("Content-Type", "application/json"), ("User-Agent", "Nurture-Webhooks/1"),
                    ("X-Nurture-Event", delivery.event.name), ("X-Nurture-Delivery", delivery.idempotencyID),
                    ("Idempotency-Key", delivery.idempotencyID),
                    (WebhookSignature.header, WebhookSignature.sign(body: body, timestamp: timestamp, secret: secret)),
                ]
                let outcome = await poster.post(url: delivery.url, headers: headers, body: body)
                let retryAt = now.addingTimeInterval(Self.retryDelay(afterAttempts: delivery.attempts + 1))
                try await store.recordWebhookAttempt(id: delivery.id, outcome: outcome, now: now, retryAt: retryAt)
                if outcome == .delivered { delivered += 1 } else { failed += 1 }
            }
        }
    }
}
