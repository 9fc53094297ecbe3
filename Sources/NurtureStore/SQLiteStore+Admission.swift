import Foundation
import NurtureCore

/// One connection's call to `handOver`: outcomes to record, and the claims to admit.
struct PendingHandOver {
    var deliveries: [DeliveryRecord]
    var claims: [Claim]
}

extension SQLiteStore {
    /// Group commit: every connection admits its next message on its own, but a durable
    /// commit (an fsync) per message would cap the send loop at the disk's pace. The
    /// first caller leads: it lets the calls already queued on this actor join (one
    /// `Task.yield()`), then records all their outcomes and admits all their claims in
    /// one durable transaction, each claim checked on its own against its lead's status.
    public func handOver(recording deliveries: [DeliveryRecord], admitting claims: [Claim], now: Date) async throws -> [Bool] {
        let (ticket, leads) = admissions.enqueue(PendingHandOver(deliveries: deliveries, claims: claims))
        guard leads else { return try await withCheckedThrowingContinuation { admissions.wait(ticket, $0) } }
        await Task.yield()
        let group = admissions.takeGroup()
        let outcome = Result {
            try connection.transaction {
                try group.map { entry in
                    try write(entry.input.deliveries, now: now)
                    return try entry.input.claims.map(admit)
                }
            }
        }
        return try admissions.answer(group, with: outcome, leader: ticket).get()
    }

    public func markSending(_ claim: Claim, now: Date) async throws -> Bool {
        try connection.transaction { try admit(claim) }
    }

    /// Moves the claim to `sending`, only while its lead may still be mailed (active, not
    /// on the suppression list) and its drip is live; says whether it did. Inside the
    /// caller's transaction.
    private func admit(_ claim: Claim) throws -> Bool {
        try connection.prepare("""
            UPDATE messages SET state = 'sending' WHERE id = ?1 AND state = 'claimed' AND EXISTS (
                SELECT 1 FROM enrollments e JOIN leads l ON l.id = e.lead_id
                WHERE e.id = messages.enrollment_id AND e.state = 'active' AND l.status = 'active' AND \(Self.notSuppressed))
            """).rows([.integer(claim.rowID)])
        return connection.changes == 1
    }

    public nonisolated func mayStillMail(_ claim: Claim) async throws -> Bool {
        let check = Self.mailCheck(claim)
        guard let handOverCheck else { return try await isolatedCheck(check) }
        return try handOverCheck.read(check)
    }

    public nonisolated func immediateMailCheck(_ claim: Claim) -> HandOverCheck? {
        guard let handOverCheck else { return nil }
        let check = Self.mailCheck(claim)
        return { try handOverCheck.read(check) }
    }

    /// Whether the admitted claim's lead may still be mailed and its drip is live.
    private static func mailCheck(_ claim: Claim) -> @Sendable (SQLiteConnection) throws -> Bool {
        { connection in
            var live = false
            try connection.prepare("""
                SELECT 1 FROM messages m JOIN enrollments e ON e.id = m.enrollment_id JOIN leads l ON l.id = e.lead_id
                WHERE m.id = ?1 AND m.state = 'sending' AND e.state = 'active' AND l.status = 'active' AND \(notSuppressed)
                """).rows([.integer(claim.rowID)]) { _ in live = true }
            return live
        }
    }

    /// The check on the store's own connection (a store in memory has no second one).
    private func isolatedCheck(_ check: (SQLiteConnection) throws -> Bool) throws -> Bool {
        try check(connection)
    }
}
