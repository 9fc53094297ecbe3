import Foundation
import NurtureCore

extension SQLiteStore {
    public func interruptedSends() throws -> [InterruptedSend] {
        var sends: [InterruptedSend] = []
        try connection.prepare(
            "SELECT id, enrollment_id, coalesce(message_id, ''), state FROM messages WHERE state IN ('claimed', 'sending') ORDER BY id"
        )
        .rows {
            sends.append(
                InterruptedSend(
                    rowID: $0.integer(0), enrollmentID: $0.integer(1), messageID: $0.text(2) ?? "",
                    wasHandedOver: $0.text(3) == "sending"))
        }
        return sends
    }

    public func resolveInterrupted(_ resolutions: [(send: InterruptedSend, delivered: Bool?)], now: Date) throws {
        let time = SQLiteStatement.Value.integer(now.epochSeconds)
        try connection.transaction {
            for (send, delivered) in resolutions {
                let row = SQLiteStatement.Value.integer(send.rowID)
                switch delivered {
                case true?:
                    try connection.prepare(
                        "UPDATE messages SET state = 'sent', sent_at = coalesce(sent_at, ?), detail = 'confirmed after an interrupted tick' WHERE id = ?"
                    )
                    .rows([time, row])
                    try connection.prepare(
                        "UPDATE enrollments SET last_sent_at = ?, next_due_at = ? WHERE id = ? AND state = 'active'"
                    )
                    .rows([time, time, .integer(send.enrollmentID)])
                case false?:
                    // It never left: the step is due again.
                    try connection.prepare("DELETE FROM messages WHERE id = ?").rows([row])
                    try connection.prepare("UPDATE enrollments SET next_due_at = ? WHERE id = ? AND state = 'active'")
                        .rows([time, .integer(send.enrollmentID)])
                case nil:
                    try connection.prepare(
                        """
                        UPDATE messages SET state = 'unknown', last_error = 'the sending process stopped before recording the outcome'
                        WHERE id = ?
                        """
                    ).rows([row])
                }
            }
        }
    }

    public func resolveUnknown(markSent: Bool, now: Date) throws -> Int {
        let time = SQLiteStatement.Value.integer(now.epochSeconds)
        return try connection.transaction {
            var enrollments: [Int64] = []
            try connection.prepare("SELECT enrollment_id FROM messages WHERE state = 'unknown'").rows {
                enrollments.append($0.integer(0))
            }
            if markSent {
                try connection.prepare(
                    "UPDATE messages SET state = 'sent', sent_at = coalesce(sent_at, claimed_at), detail = 'marked sent by the user' WHERE state = 'unknown'"
                ).rows()
            } else {
                try connection.prepare("DELETE FROM messages WHERE state = 'unknown'").rows()
            }
            for enrollment in enrollments {
                try connection.prepare("UPDATE enrollments SET next_due_at = ? WHERE id = ? AND state = 'active'").rows(
                    [time, .integer(enrollment)])
            }
            return enrollments.count
        }
    }
}
