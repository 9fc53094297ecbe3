import Foundation
import NurtureCore
import PostgresNIO

extension PostgresStore {
    /// On PostgreSQL any number of senders run at once: "acquiring" registers this one
    /// and keeps its heartbeat fresh until release. Its claims (messages.sender_id) are
    /// its own while the heartbeat is younger than the lease; after that, any sender's
    /// recovery treats them as a dead tick's (RFC 1047: handed over means in doubt).
    public func acquireSendLock() async throws -> (any SendLock)? {
        let host = ProcessInfo.processInfo.hostName
        try await write { connection in
            try await connection.query(
                """
                INSERT INTO senders (id, host, pid) VALUES (\(self.senderID), \(host), \(Int64(getpid())))
                ON CONFLICT (id) DO UPDATE SET heartbeat_at = now()
                """, logger: self.logger)
            // Rows of senders gone for a day are only noise.
            try await connection.query(
                "DELETE FROM senders WHERE heartbeat_at < now() - interval '1 day'", logger: self.logger)
        }
        let interval = lease / 3
        let heartbeat = Task { [self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                if Task.isCancelled { break }
                _ = try? await write { connection in
                    try await connection.query(
                        "UPDATE senders SET heartbeat_at = now() WHERE id = \(self.senderID)", logger: self.logger)
                }
            }
        }
        return SenderRegistration(store: self, heartbeat: heartbeat)
    }

    func unregister() async {
        _ = try? await write { connection in
            try await connection.query("DELETE FROM senders WHERE id = \(self.senderID)", logger: self.logger)
        }
    }

    /// Claimed or sending messages whose sender is not alive (no heartbeat within the lease),
    /// and this sender's own from an earlier tick (a tick starts only when the previous one
    /// of this process has ended, so anything it still holds was interrupted).
    public func interruptedSends() async throws -> [InterruptedSend] {
        let leaseSeconds = Double(lease.components.seconds)
        return try await read { connection in
            try await connection.rows(
                """
                SELECT id, enrollment_id, coalesce(message_id, ''), state FROM messages
                WHERE state IN ('claimed', 'sending') AND (sender_id IS NULL OR sender_id = \(self.senderID) OR sender_id NOT IN (
                    SELECT id FROM senders WHERE heartbeat_at > now() - make_interval(secs => \(leaseSeconds))))
                ORDER BY id
                """, logger: self.logger
            ).map { row in
                let (id, enrollment, messageID, state) = try row.decode((Int64, Int64, String, String).self)
                return InterruptedSend(
                    rowID: id, enrollmentID: enrollment, messageID: messageID, wasHandedOver: state == "sending")
            }
        }
    }

    /// Each resolution applies only while the message is still claimed or sending, so two
    /// senders recovering the same dead sender's messages at once do it once.
    public func resolveInterrupted(_ resolutions: [(send: InterruptedSend, delivered: Bool?)], now: Date) async throws {
        let time = now.epochSeconds
        try await write { connection in
            for (send, delivered) in resolutions {
                let row = send.rowID
                switch delivered {
                case true?:
                    let changed = try await connection.changes(
                        """
                        UPDATE messages SET state = 'sent', sent_at = coalesce(sent_at, \(time)), detail = 'confirmed after an interrupted tick',
                            sender_id = NULL WHERE id = \(row) AND state IN ('claimed', 'sending') RETURNING id
                        """, logger: self.logger)
                    if changed > 0 {
                        try await connection.query(
                            """
                            UPDATE enrollments SET last_sent_at = \(time), next_due_at = \(time), leased_until = NULL
                            WHERE id = \(send.enrollmentID) AND state = 'active'
                            """, logger: self.logger)
                    }
                case false?:
                    let changed = try await connection.changes(
                        "DELETE FROM messages WHERE id = \(row) AND state IN ('claimed', 'sending') RETURNING id",
                        logger: self.logger)
                    if changed > 0 {
                        // It never left: the step is due again.
                        try await connection.query(
                            """
                            UPDATE enrollments SET next_due_at = \(time), leased_until = NULL WHERE id = \(send.enrollmentID) AND state = 'active'
                            """, logger: self.logger)
                    }
                case nil:
                    try await connection.query(
                        """
                        UPDATE messages SET state = 'unknown', last_error = 'the sending process stopped before recording the outcome',
                            sender_id = NULL WHERE id = \(row) AND state IN ('claimed', 'sending')
                        """, logger: self.logger)
                }
            }
        }
    }

    public func resolveUnknown(markSent: Bool, now: Date) async throws -> Int {
        let time = now.epochSeconds
        return try await write { connection in
            let enrollments = try await connection.rows(
                markSent
                    ? "UPDATE messages SET state = 'sent', sent_at = coalesce(sent_at, claimed_at), detail = 'marked sent by the user' WHERE state = 'unknown' RETURNING enrollment_id"
                    : "DELETE FROM messages WHERE state = 'unknown' RETURNING enrollment_id",
                logger: self.logger
            ).map { try $0.decode(Int64.self) }
            try await connection.query(
                """
                UPDATE enrollments SET next_due_at = \(time), leased_until = NULL WHERE id = ANY(\(enrollments)) AND state = 'active'
                """, logger: self.logger)
            return enrollments.count
        }
    }
}

/// A sender's registration as the send loop holds it.
struct SenderRegistration: SendLock {
    let store: PostgresStore
    let heartbeat: Task<Void, Never>

    func release() async {
        heartbeat.cancel()
        await store.unregister()
    }
}
