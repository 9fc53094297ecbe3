import Foundation
import NurtureCore

extension SQLiteStore {
    public func requestSubscription(_ input: LeadInput, now: Date) throws {
        // One upsert whatever the address: who is a lead is settled by the outbox, after
        // the answer. The first request is kept; one an hour after the last mail makes
        // the confirmation due again.
        try connection.prepare(
            """
            INSERT INTO pending_subscriptions (email, email_key, first_name, last_name, tags, source, medium, source_campaign, requested_at,
                timezone, attributes)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
            ON CONFLICT (email_key) DO UPDATE SET confirmation_sent_at = NULL WHERE confirmation_sent_at <= ?9 - 3600
            """
        ).rows([
            .text(input.email.address), .text(input.email.normalized), Self.optional(input.firstName),
            Self.optional(input.lastName),
            .text(JSONText.array(input.tags)), Self.optional(input.source?.source), Self.optional(input.source?.medium),
            Self.optional(input.source?.campaign), .integer(now.epochSeconds), Self.optional(input.timeZone),
            .text(input.attributesJSON),
        ])
    }

    public func confirmationsDue(limit: Int) throws -> [PendingSubscription] {
        try connection.transaction {
            try connection.prepare("DELETE FROM pending_subscriptions WHERE email_key IN (SELECT email_key FROM leads)")
                .rows()
            var due: [(Int64, Int64)] = []
            try connection.prepare(
                """
                SELECT id, requested_at FROM pending_subscriptions WHERE confirmation_sent_at IS NULL ORDER BY requested_at, id LIMIT ?
                """
            ).rows([.integer(Int64(limit))]) { due.append(($0.integer(0), $0.integer(1))) }
            return try due.compactMap { try pendingSubscription(id: $0.0, requestedAt: Date(epochSeconds: $0.1)) }
        }
    }

    public func markConfirmationSent(id: Int64, now: Date) throws {
        try connection.prepare("UPDATE pending_subscriptions SET confirmation_sent_at = ? WHERE id = ?").rows([
            .integer(now.epochSeconds), .integer(id),
        ])
    }

    public func pendingSubscription(id: Int64, requestedAt: Date) throws -> PendingSubscription? {
        var found: PendingSubscription?
        try connection.prepare(
            """
            SELECT email, first_name, last_name, tags, source, medium, source_campaign, timezone, attributes FROM pending_subscriptions
            WHERE id = ? AND requested_at = ?
            """
        ).rows([.integer(id), .integer(requestedAt.epochSeconds)]) { row in
            guard let email = try? EmailAddress(row.text(0) ?? "") else { return }
            let tags = JSONText.strings(ofArray: row.text(3) ?? "[]")
            found = PendingSubscription(
                id: id,
                input: LeadInput(
                    email: email, firstName: row.text(1), lastName: row.text(2), timeZone: row.text(7), tags: tags,
                    attributes: JSONText.textValues(ofObject: row.text(8) ?? "{}"),
                    source: LeadSource(source: row.text(4), medium: row.text(5), campaign: row.text(6))),
                requestedAt: requestedAt)
        }
        return found
    }

    public func confirmSubscription(id: Int64, requestedAt: Date, ip: String?, now: Date) throws -> EmailAddress? {
        try connection.transaction {
            guard let pending = try pendingSubscription(id: id, requestedAt: requestedAt) else { return nil }
            let input = pending.input
            var leadID = try insertLeadIfNew(input, at: now)
            if leadID == nil {
                // A lead since (an import): left as it is, but the consent is still its own.
                try connection.prepare("SELECT id FROM leads WHERE email_key = ?").rows([.text(input.email.normalized)])
                { leadID = $0.integer(0) }
            }
            if let leadID {
                _ = try recordEvent(
                    leadID: leadID, name: "subscription_confirmed", attributes: ip.map { ["ip": $0] } ?? [:],
                    goalCampaigns: [], at: now)
            }
            try connection.prepare("DELETE FROM pending_subscriptions WHERE id = ?").rows([.integer(id)])
            return input.email
        }
    }

    public func forgetPendingSubscriptions(before cutoff: Date) throws -> Int {
        try connection.prepare("DELETE FROM pending_subscriptions WHERE requested_at < ?").rows([
            .integer(cutoff.epochSeconds)
        ])
        return connection.changes
    }
}
