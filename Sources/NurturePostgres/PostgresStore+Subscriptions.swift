import Foundation
import NurtureCore
import PostgresNIO

extension PostgresStore {
    public func requestSubscription(_ input: LeadInput, now: Date) async throws {
        // One upsert whatever the address (see the SQLite store).
        try await write { connection in
            try await connection.query(
                """
                INSERT INTO pending_subscriptions (email, email_key, first_name, last_name, tags, source, medium, source_campaign, requested_at,
                    timezone, attributes)
                VALUES (\(input.email.address), \(input.email.normalized), \(input.firstName), \(input.lastName), \(JSONText.array(input.tags))::jsonb,
                    \(input.source?.source), \(input.source?.medium), \(input.source?.campaign), \(now.epochSeconds), \(input.timeZone),
                    \(input.attributesJSON)::jsonb)
                ON CONFLICT (email_key) DO UPDATE SET confirmation_sent_at = NULL
                WHERE pending_subscriptions.confirmation_sent_at <= \(now.epochSeconds - 3600)
                """, logger: self.logger)
        }
    }

    public func confirmationsDue(limit: Int) async throws -> [PendingSubscription] {
        try await write { connection in
            try await connection.query(
                "DELETE FROM pending_subscriptions p USING leads l WHERE l.email_key = p.email_key", logger: self.logger
            )
            var due: [PendingSubscription] = []
            for row in try await connection.rows(
                """
                SELECT id, requested_at FROM pending_subscriptions WHERE confirmation_sent_at IS NULL ORDER BY requested_at, id LIMIT \(limit)
                """, logger: self.logger)
            {
                let (id, requestedAt) = try row.decode((Int64, Int64).self)
                if let pending = try await self.pendingSubscription(
                    id: id, requestedAt: Date(epochSeconds: requestedAt), on: connection)
                {
                    due.append(pending)
                }
            }
            return due
        }
    }

    public func markConfirmationSent(id: Int64, now: Date) async throws {
        try await write { connection in
            try await connection.query(
                "UPDATE pending_subscriptions SET confirmation_sent_at = \(now.epochSeconds) WHERE id = \(id)",
                logger: self.logger)
        }
    }

    public func pendingSubscription(id: Int64, requestedAt: Date) async throws -> PendingSubscription? {
        try await read { try await self.pendingSubscription(id: id, requestedAt: requestedAt, on: $0) }
    }

    func pendingSubscription(id: Int64, requestedAt: Date, on connection: PostgresConnection) async throws
        -> PendingSubscription?
    {
        guard
            let row = try await connection.rows(
                """
                SELECT email, first_name, last_name, tags::text, source, medium, source_campaign, timezone, attributes::text FROM pending_subscriptions
                WHERE id = \(id) AND requested_at = \(requestedAt.epochSeconds)
                """, logger: logger
            ).first
        else { return nil }
        let (email, first, last, tagsJSON, source, medium, campaign, zone, attributes) = try row.decode(
            (String, String?, String?, String, String?, String?, String?, String?, String).self)
        guard let address = try? EmailAddress(email) else { return nil }
        let tags = JSONText.strings(ofArray: tagsJSON)
        return PendingSubscription(
            id: id,
            input: LeadInput(
                email: address, firstName: first, lastName: last, timeZone: zone, tags: tags,
                attributes: JSONText.textValues(ofObject: attributes),
                source: LeadSource(source: source, medium: medium, campaign: campaign)),
            requestedAt: requestedAt)
    }

    public func confirmSubscription(id: Int64, requestedAt: Date, ip: String?, now: Date) async throws -> EmailAddress?
    {
        try await write { connection in
            guard let pending = try await self.pendingSubscription(id: id, requestedAt: requestedAt, on: connection)
            else { return nil }
            let time = now.epochSeconds
            // A lead since (an import) is left as it is, but the consent is still its own.
            _ = try await self.insertLeadIfNew(LeadBatch([pending.input]), at: time, on: connection)
            if let leadID = try await connection.rows(
                "SELECT id FROM leads WHERE email_key = \(pending.input.email.normalized)", logger: self.logger
            )
            .first.map({ try $0.decode(Int64.self) }) {
                _ = try await self.recordEvent(
                    leadID: leadID, name: "subscription_confirmed", attributes: ip.map { ["ip": $0] } ?? [:],
                    goalCampaigns: [], at: time, on: connection)
            }
            try await connection.query("DELETE FROM pending_subscriptions WHERE id = \(id)", logger: self.logger)
            return pending.input.email
        }
    }

    public func forgetPendingSubscriptions(before cutoff: Date) async throws -> Int {
        try await write { connection in
            try await connection.count(
                """
                WITH gone AS (DELETE FROM pending_subscriptions WHERE requested_at < \(cutoff.epochSeconds) RETURNING 1) SELECT count(*) FROM gone
                """, logger: self.logger)
        }
    }
}
