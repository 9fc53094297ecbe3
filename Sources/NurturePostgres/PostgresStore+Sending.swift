import Foundation
import NurtureCore
import PostgresNIO

extension PostgresStore {
    public func apply(_ changes: [EnrollmentChange], now: Date) async throws -> [Claim] {
        let time = now.epochSeconds
        let retryLater = now.addingTimeInterval(60).epochSeconds
        return try await write { connection in
            var claims: [Claim] = []
            for change in changes {
                let enrollment = change.enrollmentID
                for skip in change.skipped {
                    try await connection.query(
                        """
                        INSERT INTO messages (enrollment_id, step_id, state, claimed_at, detail)
                        VALUES (\(enrollment), \(skip.step), 'skipped', \(time), \(skip.reason))
                        ON CONFLICT (enrollment_id, step_id) DO NOTHING
                        """, logger: self.logger)
                }
                switch change.outcome {
                case .claim(let step, let messageID, let variant):
                    // Granted only while the lead may be mailed and the drip is live; the
                    // unique (enrolment, step) constraint refuses a second copy whichever
                    // sender asks.
                    // One statement: the claim, and the enrolment's next look (none while
                    // the message is out; a minute later when the claim was lost, so the
                    // next tick sees why).
                    let granted = try await connection.rows(
                        """
                        WITH granted AS (
                            INSERT INTO messages (enrollment_id, step_id, state, message_id, claimed_at, attempts, sender_id, variant)
                            SELECT \(enrollment), \(step), 'claimed', \(messageID), \(time), 1, \(self.senderID), \(variant) WHERE EXISTS (
                                SELECT 1 FROM enrollments e JOIN leads l ON l.id = e.lead_id
                                WHERE e.id = \(enrollment) AND e.state = 'active' AND l.status = 'active')
                            ON CONFLICT (enrollment_id, step_id) DO NOTHING RETURNING id),
                        due AS (
                            UPDATE enrollments SET next_step_id = \(step), leased_until = NULL, held_reason = NULL,
                                next_due_at = CASE WHEN EXISTS (SELECT 1 FROM granted) THEN NULL ELSE \(retryLater)::bigint END
                            WHERE id = \(enrollment) AND state = 'active')
                        SELECT id FROM granted
                        """, logger: self.logger
                    ).first.map { try $0.decode(Int64.self) }
                    if let row = granted {
                        claims.append(
                            Claim(
                                rowID: row, enrollmentID: enrollment, step: step, messageID: messageID, attempts: 1,
                                variant: variant))
                    }
                case .retry(let step):
                    let claim = try await connection.rows(
                        """
                        UPDATE messages SET state = 'claimed', attempts = attempts + 1, next_attempt_at = NULL, sender_id = \(self.senderID)
                        WHERE enrollment_id = \(enrollment) AND step_id = \(step) AND state = 'deferred' AND EXISTS (
                            SELECT 1 FROM enrollments e JOIN leads l ON l.id = e.lead_id
                            WHERE e.id = \(enrollment) AND e.state = 'active' AND l.status = 'active')
                        RETURNING id, coalesce(message_id, ''), attempts, variant
                        """, logger: self.logger
                    ).first.map { row in
                        let (id, messageID, attempts, variant) = try row.decode((Int64, String, Int, String?).self)
                        return Claim(
                            rowID: id, enrollmentID: enrollment, step: step, messageID: messageID, attempts: attempts,
                            variant: variant)
                    }
                    if let claim { claims.append(claim) }
                    try await self.setDue(enrollment, at: claim == nil ? retryLater : nil, step: step, on: connection)
                case .reschedule(let at, let step):
                    try await self.setDue(enrollment, at: at?.epochSeconds, step: step, on: connection)
                case .hold(let at, let step, let reason):
                    try await connection.query(
                        """
                        UPDATE enrollments SET next_due_at = \(at.epochSeconds), next_step_id = \(step), held_reason = \(reason), leased_until = NULL
                        WHERE id = \(enrollment) AND state = 'active'
                        """, logger: self.logger)
                case .end(let end, let reason, let at):
                    try await connection.query(
                        """
                        UPDATE enrollments SET state = \(end.rawValue), ended_at = \(at?.epochSeconds ?? time), end_reason = \(reason),
                            next_due_at = NULL, next_step_id = NULL, leased_until = NULL
                        WHERE id = \(enrollment) AND state = 'active'
                        """, logger: self.logger)
                }
            }
            return claims
        }
    }

    /// Sets when an enrolment is looked at next; the sender's lease on it ends here.
    func setDue(_ enrollment: Int64, at: Int64?, step: String?, on connection: PostgresConnection) async throws {
        try await connection.query(
            """
            UPDATE enrollments SET next_due_at = \(at), next_step_id = \(step), held_reason = NULL, leased_until = NULL
            WHERE id = \(enrollment) AND state = 'active'
            """, logger: logger)
    }

    /// Moves a claim to `sending`, committed before it goes to the transport, only while
    /// its lead may be mailed and its drip is live. Claims asked for together share one
    /// statement and one commit (`AdmissionBatcher`). The statement share-locks the lead
    /// and enrolment rows, so an unsubscribe either committed before (and is seen) or
    /// waits for this commit.
    public func markSending(_ claim: Claim, now: Date) async throws -> Bool {
        try await admissions.admit(claim.rowID) { [self] rows in
            try await read { connection in
                Set(
                    try await connection.rows(
                        """
                        WITH live AS (
                            SELECT m.id FROM messages m JOIN enrollments e ON e.id = m.enrollment_id JOIN leads l ON l.id = e.lead_id
                            WHERE m.id = ANY(\(rows)) AND m.state = 'claimed' AND e.state = 'active' AND l.status = 'active'
                                AND \(unescaped: Self.notSuppressed)
                            FOR SHARE OF e, l)
                        UPDATE messages SET state = 'sending', sender_id = \(self.senderID) WHERE id IN (SELECT id FROM live) RETURNING id
                        """, logger: self.logger
                    ).map { try $0.decode(Int64.self) })
            }
        }
    }

    /// Records, then admits the group: its claims are asked for together, so they share
    /// one batch of `markSending` (one statement, one commit) with the other connections'.
    public func handOver(recording deliveries: [DeliveryRecord], admitting claims: [Claim], now: Date) async throws
        -> [Bool]
    {
        try await record(deliveries, now: now)
        return try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
            for (index, claim) in claims.enumerated() {
                group.addTask { (index, try await self.markSending(claim, now: now)) }
            }
            var verdicts = Array(repeating: false, count: claims.count)
            for try await (index, admitted) in group { verdicts[index] = admitted }
            return verdicts
        }
    }

    public func mayStillMail(_ claim: Claim) async throws -> Bool {
        try await read { connection in
            try await connection.rows(
                """
                SELECT 1 FROM messages m JOIN enrollments e ON e.id = m.enrollment_id JOIN leads l ON l.id = e.lead_id
                WHERE m.id = \(claim.rowID) AND m.state = 'sending' AND e.state = 'active' AND l.status = 'active'
                    AND \(unescaped: Self.notSuppressed)
                """, logger: self.logger
            ).isEmpty == false
        }
    }

    public func record(_ deliveries: [DeliveryRecord], now: Date) async throws {
        guard !deliveries.isEmpty else { return }
        let time = now.epochSeconds
        try await write { connection in
            for delivery in deliveries {
                let row = delivery.claim.rowID
                let enrollment = delivery.claim.enrollmentID
                switch delivery.outcome {
                case .sent:
                    // One statement (one round trip): the message, and its enrolment's next
                    // look or its completion (an enrolment that ended meanwhile only
                    // learns when it was last sent to).
                    let completes = delivery.completes
                    try await connection.query(
                        """
                        WITH sent AS (
                            UPDATE messages SET state = 'sent', sent_at = \(time), delivered_at_ms = \(delivery.deliveredAt?.epochMilliseconds),
                                last_error = NULL, sender_id = NULL WHERE id = \(row) RETURNING id),
                        ended AS (UPDATE enrollments SET last_sent_at = \(time) WHERE id = \(enrollment) AND state <> 'active' RETURNING id)
                        UPDATE enrollments SET last_sent_at = \(time), leased_until = NULL,
                            state = CASE WHEN \(completes) THEN 'completed' ELSE state END,
                            ended_at = CASE WHEN \(completes) THEN \(time) ELSE ended_at END,
                            end_reason = CASE WHEN \(completes) THEN 'every step is behind the lead' ELSE end_reason END,
                            next_due_at = CASE WHEN \(completes) THEN NULL ELSE \(delivery.nextDueAt?.epochSeconds)::bigint END,
                            next_step_id = CASE WHEN \(completes) THEN NULL ELSE \(delivery.nextStep)::text END
                        WHERE id = \(enrollment) AND state = 'active'
                        """, logger: self.logger)
                case .deferred(let retryAt, let error):
                    try await connection.query(
                        """
                        UPDATE messages SET state = 'deferred', next_attempt_at = \(retryAt.epochSeconds), last_error = \(error), sender_id = NULL
                        WHERE id = \(row)
                        """, logger: self.logger)
                    try await self.setDue(
                        enrollment, at: retryAt.epochSeconds, step: delivery.claim.step, on: connection)
                case .untried(let retryAt, let error):
                    try await connection.query(
                        """
                        UPDATE messages SET state = 'deferred', next_attempt_at = \(retryAt.epochSeconds), last_error = \(error), sender_id = NULL,
                            attempts = greatest(attempts - 1, 0)
                        WHERE id = \(row)
                        """, logger: self.logger)
                    try await self.setDue(
                        enrollment, at: retryAt.epochSeconds, step: delivery.claim.step, on: connection)
                case .failed(let error, let bounce):
                    try await connection.query(
                        "UPDATE messages SET state = 'failed', last_error = \(error), sender_id = NULL WHERE id = \(row)",
                        logger: self.logger)
                    if bounce {
                        let bounced = try await connection.changes(
                            """
                            UPDATE leads SET status = 'bounced', status_changed_at = \(time), updated_at = \(time)
                            WHERE id = (SELECT lead_id FROM enrollments WHERE id = \(enrollment)) AND status = 'active' RETURNING id
                            """, logger: self.logger)
                        // Recorded as an event too (a timeline entry, a webhook's trigger).
                        if bounced == 1 {
                            try await connection.query(
                                """
                                INSERT INTO events (lead_id, name, attributes, occurred_at)
                                SELECT lead_id, 'bounced', jsonb_build_object('campaign', campaign_id, 'step', \(delivery.claim.step)::text, 'error', \(error)::text),
                                    \(time) FROM enrollments WHERE id = \(enrollment)
                                """, logger: self.logger)
                        }
                    }
                    try await self.setDue(enrollment, at: time, step: nil, on: connection)
                case .unknown(let error):
                    try await connection.query(
                        "UPDATE messages SET state = 'unknown', last_error = \(error), sender_id = NULL WHERE id = \(row)",
                        logger: self.logger)
                case .released:
                    try await connection.query(
                        "DELETE FROM messages WHERE id = \(row) AND state IN ('claimed', 'sending')",
                        logger: self.logger)
                    try await self.setDue(enrollment, at: time, step: delivery.claim.step, on: connection)
                }
            }
        }
    }
}
