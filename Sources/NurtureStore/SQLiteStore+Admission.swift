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
    public func handOver(recording deliveries: [DeliveryRecord], admitting claims: [Claim], now: Date) async throws
        -> [Bool]
    {
        let (ticket, leads) = admissions.enqueue(PendingHandOver(deliveries: deliveries, claims: claims))
        guard leads else { return try await withCheckedThrowingContinuation { admissions.wait(ticket, $0) } }
        await Task.yield()
        let group = admissions.takeGroup()
        let outcome = Result {
            try connection.transaction {
                let verdicts = try group.map { entry in
                    try write(entry.input.deliveries, now: now)
                    return try entry.input.claims.map(admit)
                }
                // Read in the admitting transaction: no change can commit between the
                // admissions' own checks and this value.
                let stop = try Self.stopVersion(connection)
                return (verdicts, stop)
            }
        }
        if case .success(let (verdicts, stop)) = outcome {
            admittedAtStop.withLock { seen in
                // A message admitted and then released unsent (a tick that stopped) is never
                // checked, so its entry stays; in a long `run --every` they would pile up.
                // Past this many, forget them all: a message without an entry is simply
                // checked in full, as it is correct to.
                if seen.count > 10_000 { seen.removeAll() }
                for (entry, entryVerdicts) in zip(group, verdicts) {
                    for (claim, admitted) in zip(entry.input.claims, entryVerdicts) where admitted {
                        seen[claim.rowID] = stop
                    }
                }
            }
        }
        return try admissions.answer(group, with: outcome.map(\.0), leader: ticket).get()
    }

    /// The `mail_stops` counter (migration 17): moved by every change that can stop an
    /// admitted message.
    private nonisolated static func stopVersion(_ connection: SQLiteConnection) throws -> Int64 {
        var version: Int64 = -1
        try connection.prepare("SELECT version FROM mail_stops WHERE id = 1").rows([]) { version = $0.integer(0) }
        return version
    }

    public func markSending(_ claim: Claim, now: Date) async throws -> Bool {
        try connection.transaction { try admit(claim) }
    }

    /// Moves the claim to `sending`, only while its lead may still be mailed (active, not
    /// on the suppression list) and its drip is live; says whether it did. Inside the
    /// caller's transaction.
    private func admit(_ claim: Claim) throws -> Bool {
        try connection.prepare(
            """
            UPDATE messages SET state = 'sending' WHERE id = ?1 AND state = 'claimed' AND EXISTS (
                SELECT 1 FROM enrollments e JOIN leads l ON l.id = e.lead_id
                WHERE e.id = messages.enrollment_id AND e.state = 'active' AND l.status = 'active' AND \(Self.notSuppressed))
            """
        ).rows([.integer(claim.rowID)])
        return connection.changes == 1
    }

    public nonisolated func mayStillMail(_ claim: Claim) async throws -> Bool {
        let check = Self.mailCheck(claim)
        guard let handOverCheck else { return try await isolatedCheck(check) }
        return try handOverCheck.read(check)
    }

    /// The check right before a hand-over, on the SMTP thread. When nothing that can stop
    /// a message has committed since this one's admission (the `mail_stops` counter has
    /// not moved), the admission's own check still holds and one row is read; otherwise
    /// the lead, its drip and the suppressions are read again. Measured with the shared
    /// delivery benchmark at 4 connections, alternating, four rounds: 1.58-1.67 s per
    /// 10,000 messages with the full read every time, 1.42-1.48 s with a read of one row,
    /// 1.33-1.40 s with no check at all (the full read resets the read connection's page
    /// cache after every commit and walks four tables).
    public nonisolated func immediateMailCheck(_ claim: Claim) -> HandOverCheck? {
        guard let handOverCheck else { return nil }
        let check = Self.mailCheck(claim)
        let admittedAt = admittedAtStop.withLock { $0.removeValue(forKey: claim.rowID) }
        return {
            try handOverCheck.read { connection in
                if let admittedAt, try Self.stopVersion(connection) == admittedAt { return true }
                return try check(connection)
            }
        }
    }

    /// Whether the admitted claim's lead may still be mailed and its drip is live.
    private static func mailCheck(_ claim: Claim) -> @Sendable (SQLiteConnection) throws -> Bool {
        { connection in
            var live = false
            try connection.prepare(
                """
                SELECT 1 FROM messages m JOIN enrollments e ON e.id = m.enrollment_id JOIN leads l ON l.id = e.lead_id
                WHERE m.id = ?1 AND m.state = 'sending' AND e.state = 'active' AND l.status = 'active' AND \(notSuppressed)
                """
            ).rows([.integer(claim.rowID)]) { _ in live = true }
            return live
        }
    }

    /// The check on the store's own connection (a store in memory has no second one).
    private func isolatedCheck(_ check: (SQLiteConnection) throws -> Bool) throws -> Bool {
        try check(connection)
    }
}
