import Foundation
import NurtureCore

extension SQLiteStore {
    /// Group commit: every connection admits its next message on its own, at the last
    /// moment, but a durable commit (an fsync) per message would cap the send loop at the
    /// disk's pace. The first caller leads: it lets the calls already queued on this actor
    /// join (one `Task.yield()`), then admits them all in one durable transaction, each
    /// checked on its own against its lead's status in that transaction.
    public func markSending(_ claim: Claim, now: Date) async throws -> Bool {
        let (ticket, leads) = admissions.enqueue(claim)
        guard leads else { return try await withCheckedThrowingContinuation { admissions.wait(ticket, $0) } }
        await Task.yield()
        let group = admissions.takeGroup()
        return try admissions.answer(group, with: Result { try admit(group.map(\.input)) }, leader: ticket).get()
    }

    /// Moves the claims to `sending` in one durable transaction, each only while its lead
    /// may still be mailed and its drip is live; says which were admitted.
    private func admit(_ claims: [Claim]) throws -> [Bool] {
        try connection.transaction {
            try claims.map { claim in
                try connection.prepare("""
                    UPDATE messages SET state = 'sending' WHERE id = ?1 AND state = 'claimed' AND EXISTS (
                        SELECT 1 FROM enrollments e JOIN leads l ON l.id = e.lead_id
                        WHERE e.id = messages.enrollment_id AND e.state = 'active' AND l.status = 'active')
                    """).rows([.integer(claim.rowID)])
                return connection.changes == 1
            }
        }
    }
}
