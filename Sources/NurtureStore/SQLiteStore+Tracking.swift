import Foundation
import NurtureCore

/// A tracking request waiting for the next group commit (see `SQLiteStore.track`).
struct PendingTrack {
    let request: TrackingRequest
    let classifier: ActivityClassifier
    let decoyReach: TimeInterval
}

extension SQLiteStore {
    public func trackedMessage(row: Int64) throws -> TrackedMessage? {
        var message: TrackedMessage?
        try connection.prepare("SELECT delivered_at_ms, sent_at FROM messages WHERE id = ?").rows([.integer(row)]) {
            result in
            let delivered: Date? =
                result.text(0) != nil
                ? Date(epochMilliseconds: result.integer(0))
                : result.text(1) != nil ? Date(epochSeconds: result.integer(1)) : nil
            message = TrackedMessage(row: row, deliveredAt: delivered)
        }
        return message
    }

    /// Group commit: requests that arrive while one is being written queue up, and the
    /// next one to run writes them all in one transaction (one WAL append instead of one
    /// per request), each classified in turn, so each sees those before it.
    /// The first caller leads: it lets the calls already queued on this actor join (one
    /// `Task.yield()`), writes, and answers every one.
    public func track(_ request: TrackingRequest, classifier: ActivityClassifier, decoyReach: TimeInterval) async throws
        -> ActivityVerdict?
    {
        let (ticket, leads) = tracking.enqueue(
            PendingTrack(request: request, classifier: classifier, decoyReach: decoyReach))
        guard leads else { return try await withCheckedThrowingContinuation { tracking.wait(ticket, $0) } }
        await Task.yield()
        let group = tracking.takeGroup()
        // Tracking is not worth an fsync per request: a power cut may lose the last
        // clicks, never the store.
        let outcome = Result { try connection.transaction(durable: false) { try group.map { try trackOne($0.input) } } }
        return try tracking.answer(group, with: outcome, leader: ticket).get()
    }

    public func track(_ requests: [TrackingRequest], classifier: ActivityClassifier, decoyReach: TimeInterval)
        async throws -> [ActivityVerdict?]
    {
        try connection.transaction(durable: false) {
            try requests.map { try trackOne(PendingTrack(request: $0, classifier: classifier, decoyReach: decoyReach)) }
        }
    }

    private func trackOne(_ pending: PendingTrack) throws -> ActivityVerdict? {
        let request = pending.request
        guard let message = try trackedMessage(row: request.link.messageRow) else { return nil }
        let followed = try decoyFollowed(before: request, reach: pending.decoyReach)
        let verdict = pending.classifier.classify(request, message: message, decoyFollowed: followed)
        try insertActivity(RecordedActivity(request: request, verdict: verdict), decoyReach: pending.decoyReach)
        return verdict
    }

    /// Stores an already classified request (for tests and imports of past activity).
    public func recordActivity(_ activity: RecordedActivity, decoyReach: TimeInterval) throws {
        try connection.transaction(durable: false) { try insertActivity(activity, decoyReach: decoyReach) }
    }

    /// Whether the hidden decoy of a click's message was followed from the click's address
    /// within reach of it (false for opens and decoy hits): an EXISTS on a small index,
    /// however many requests the message has had.
    private func decoyFollowed(before request: TrackingRequest, reach: TimeInterval) throws -> Bool {
        guard case .click = request.link, let window = DecoyReach(ip: request.ip, at: request.at, reach: reach) else {
            return false
        }
        var found = false
        try connection.prepare(
            """
            SELECT EXISTS (SELECT 1 FROM activity WHERE message_row = ? AND decoy = 1 AND ip = ? AND occurred_at_ms BETWEEN ? AND ?)
            """
        ).rows([
            .integer(request.link.messageRow), .text(window.ip), .integer(window.fromMilliseconds),
            .integer(window.toMilliseconds),
        ]) {
            found = $0.integer(0) == 1
        }
        return found
    }

    /// A user agent as stored: its first 512 characters. Counting bytes first spares the
    /// character walk for nearly every agent (at most 512 bytes is at most 512 characters).
    static func storedAgent(_ agent: String) -> String {
        agent.utf8.count <= 512 ? agent : String(agent.prefix(512))
    }

    private func insertActivity(_ activity: RecordedActivity, decoyReach: TimeInterval) throws {
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
        let outcome = TrackingOutcome(storing: request, reach: decoyReach)
        try connection.prepare(
            """
            INSERT INTO activity (message_row, kind, decoy, url, link, class, reason, occurred_at_ms, user_agent, ip)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """
        ).rows([
            row, .text(request.kind.rawValue), .integer(decoy), url, link,
            .text(activity.verdict.activityClass.rawValue),
            .text(activity.verdict.reason), .integer(request.at.epochMilliseconds),
            Self.optional(request.userAgent.map(Self.storedAgent)), Self.optional(request.ip),
        ])
        if let reach = outcome.unmask {
            try connection.prepare(
                """
                UPDATE activity SET class = 'machine', reason = ? WHERE message_row = ? AND kind = 'click' AND decoy = 0
                    AND class <> 'machine' AND ip = ? AND occurred_at_ms BETWEEN ? AND ?
                """
            ).rows([
                .text(TrackingOutcome.unmaskReason), row, .text(reach.ip), .integer(reach.fromMilliseconds),
                .integer(reach.toMilliseconds),
            ])
        }
    }
}
