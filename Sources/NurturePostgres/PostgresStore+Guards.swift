import Foundation
import NurtureCore
import PostgresNIO

extension PostgresStore {
    public func complaintCounts(since: Date) async throws -> [String: ComplaintGuard.Counts] {
        try await read { connection in
            // Complaints are rare: only their campaigns' sends are counted.
            var counts: [String: ComplaintGuard.Counts] = [:]
            // Read whole before the next query: a connection runs one at a time.
            let complained = try await connection.rows(
                """
                SELECT v.attributes ->> 'campaign', count(DISTINCT v.lead_id), max(greatest(\(since.epochSeconds), coalesce(g.reset_at, 0)))
                FROM events v LEFT JOIN complaint_guards g ON g.campaign_id = v.attributes ->> 'campaign'
                WHERE v.name = 'complained' AND v.occurred_at >= \(since.epochSeconds) AND v.attributes ? 'campaign'
                    AND v.occurred_at >= coalesce(g.reset_at, 0)
                GROUP BY 1
                """, logger: self.logger)
            for row in complained {
                let (campaign, complaints, from) = try row.decode((String, Int, Int64).self)
                let sent = try await connection.count(
                    """
                    SELECT count(*) FROM messages m JOIN enrollments e ON e.id = m.enrollment_id
                    WHERE e.campaign_id = \(campaign) AND m.state = 'sent' AND m.sent_at >= \(from)
                    """, logger: self.logger)
                counts[campaign] = ComplaintGuard.Counts(complaints: complaints, sent: sent)
            }
            return counts
        }
    }

    public func guardTrips() async throws -> [String: ComplaintGuard.Trip] {
        try await read { connection in
            var trips: [String: ComplaintGuard.Trip] = [:]
            for try await (campaign, at, complaints, sent) in try await connection.query(
                "SELECT campaign_id, tripped_at, complaints, sent FROM complaint_guards WHERE tripped_at IS NOT NULL",
                logger: self.logger
            ).decode((String, Int64, Int, Int).self) {
                trips[campaign] = ComplaintGuard.Trip(
                    campaignID: campaign, at: Date(epochSeconds: at), counts: .init(complaints: complaints, sent: sent))
            }
            return trips
        }
    }

    public func recordGuardTrip(_ trip: ComplaintGuard.Trip) async throws {
        try await write { connection in
            try await connection.query(
                """
                INSERT INTO complaint_guards (campaign_id, tripped_at, complaints, sent)
                VALUES (\(trip.campaignID), \(trip.at.epochSeconds), \(trip.counts.complaints), \(trip.counts.sent))
                ON CONFLICT (campaign_id) DO UPDATE SET tripped_at = excluded.tripped_at, complaints = excluded.complaints,
                    sent = excluded.sent
                WHERE complaint_guards.tripped_at IS NULL
                """, logger: self.logger)
        }
    }

    public func resetGuard(campaignID: String, now: Date) async throws -> Bool {
        try await write { connection in
            try await connection.changes(
                """
                UPDATE complaint_guards SET tripped_at = NULL, reset_at = \(now.epochSeconds)
                WHERE campaign_id = \(campaignID) AND tripped_at IS NOT NULL RETURNING 1
                """, logger: self.logger) == 1
        }
    }
}
