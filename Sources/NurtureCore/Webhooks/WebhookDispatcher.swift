import Foundation

/// Posts what the webhook outbox holds: each delivery signed, with its idempotency id,
/// retried with growing waits until a 2xx answer. At least once: a receiver that
/// answered but whose answer was lost gets the same delivery (the same id) again.
///
/// Deliveries go in rounds: each round claims up to `perReceiver` due deliveries for each
/// receiver and posts them all at once, so a slow receiver holds at most that many
/// posts of its own, and the others' next round waits for it at most one timeout. Each delivery
/// is leased for its own post (the poster's timeout and a margin), claimed the moment it
/// is posted: a lease can never run out while its post is still waiting its turn.
public struct WebhookDispatcher: Sendable {
    public var store: any Store
    public var poster: any WebhookPoster
    public var secret: String
    public var scoreRules: ScoreRules
    public var stageOrder: [String]
    /// The real clock, for the signature's timestamp and the leases (`now` may be a
    /// replayed time).
    public var wallClock: @Sendable () -> Date
    /// Posts at once to one receiver (one URL).
    public var perReceiver = 4

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

    /// How long a claimed delivery is its claimer's: its post's timeout, and time to
    /// sign it before and record the answer after.
    public var lease: TimeInterval { Double(poster.timeout.components.seconds) + 30 }

    /// 1, 2, 4 … minutes after each failed attempt, at most an hour.
    public static func retryDelay(afterAttempts attempts: Int) -> TimeInterval {
        min(3600, 60 * pow(2, Double(max(0, min(attempts, 20) - 1))))
    }

    /// Posts every delivery due at `now`; returns how many were delivered and failed.
    /// `shouldStop` is asked between rounds (a signal lets the round in flight finish).
    @discardableResult
    public func run(now: Date, shouldStop: @Sendable () -> Bool = { false }) async throws -> (
        delivered: Int, failed: Int
    ) {
        var (delivered, failed) = (0, 0)
        while !shouldStop() {
            // Leased from the real clock: `now` may be a replayed time, or long past
            // when rounds have gone on for a while.
            let leasedUntil = max(now, wallClock()).addingTimeInterval(lease)
            let due = try await store.claimWebhookDeliveries(
                now: now, perReceiver: perReceiver, leasedUntil: leasedUntil)
            if due.isEmpty { break }
            let requests = try await requests(for: due)
            try await withThrowingTaskGroup(of: (WebhookRequest, WebhookOutcome).self) { group in
                for request in requests {
                    group.addTask {
                        (request, await poster.post(url: request.url, headers: request.headers, body: request.body))
                    }
                }
                for try await (request, outcome) in group {
                    let retryAt = now.addingTimeInterval(Self.retryDelay(afterAttempts: request.attempts + 1))
                    try await store.recordWebhookAttempt(id: request.id, outcome: outcome, now: now, retryAt: retryAt)
                    if outcome == .delivered { delivered += 1 } else { failed += 1 }
                }
            }
        }
        return (delivered, failed)
    }

    /// One delivery, signed and ready to post.
    struct WebhookRequest: Sendable {
        let id: Int64
        let attempts: Int
        let url: String
        let headers: [(String, String)]
        let body: [UInt8]
    }

    /// Signs each delivery with the lead as the event found it.
    private func requests(for due: [WebhookDelivery]) async throws -> [WebhookRequest] {
        let ids = Array(Set(due.compactMap(\.lead.id)))
        let evidence = try await store.scoreEvidence(leadIDs: ids, events: scoreRules.scoredEvents)
        let stages = try await store.stages(ofLeads: ids)
        return due.map { delivery in
            var delivery = delivery
            let leadID = delivery.lead.id ?? 0
            delivery.lead.stages = stages[leadID] ?? []
            // The score as the event found it. Events keep whole seconds, so what
            // happened within the event's second (the click that made an mql) counts.
            let score = scoreRules.score(
                of: delivery.lead, evidence: evidence[leadID] ?? [], at: delivery.event.at.addingTimeInterval(0.999))
            let body = WebhookPayload.body(for: delivery, score: score, stageOrder: stageOrder)
            let timestamp = Int64(wallClock().timeIntervalSince1970)
            let headers = [
                ("Content-Type", "application/json"), ("User-Agent", "Nurture-Webhooks/1"),
                ("X-Nurture-Event", delivery.event.name), ("X-Nurture-Delivery", delivery.idempotencyID),
                ("Idempotency-Key", delivery.idempotencyID),
                (WebhookSignature.header, WebhookSignature.sign(body: body, timestamp: timestamp, secret: secret)),
            ]
            return WebhookRequest(
                id: delivery.id, attempts: delivery.attempts, url: delivery.url, headers: headers, body: body)
        }
    }
}
