import Foundation
import NurtureCore

extension SQLiteStore {
    public func complaintCounts(since: Date) throws -> [String: ComplaintGuard.Counts] {
        try connection.read {
            var resets: [String: Int64] = [:]
            try connection.prepare("SELECT campaign_id, reset_at FROM complaint_guards WHERE reset_at IS NOT NULL").rows
            {
                resets[$0.text(0) ?? ""] = $0.integer(1)
            }
            // Complaints are rare: only their campaigns' sends are counted.
            var complaints: [String: Set<Int64>] = [:]
            try connection.prepare(
                """
                SELECT json_extract(attributes, '$.campaign'), lead_id, occurred_at FROM events
                WHERE name = 'complained' AND occurred_at >= ? AND json_extract(attributes, '$.campaign') IS NOT NULL
                """
            ).rows([.integer(since.epochSeconds)]) { row in
                let campaign = row.text(0) ?? ""
                guard row.integer(2) >= resets[campaign] ?? 0 else { return }
                complaints[campaign, default: []].insert(row.integer(1))
            }
            var counts: [String: ComplaintGuard.Counts] = [:]
            for (campaign, leads) in complaints {
                let from = max(since.epochSeconds, resets[campaign] ?? 0)
                var sent = 0
                try connection.prepare(
                    """
                    SELECT count(*) FROM messages m JOIN enrollments e ON e.id = m.enrollment_id
                    WHERE e.campaign_id = ? AND m.state = 'sent' AND m.sent_at >= ?
                    """
                ).rows([.text(campaign), .integer(from)]) { sent = Int($0.integer(0)) }
                counts[campaign] = ComplaintGuard.Counts(complaints: leads.count, sent: sent)
            }
            return counts
        }
    }

    public func guardTrips() throws -> [String: ComplaintGuard.Trip] {
        var trips: [String: ComplaintGuard.Trip] = [:]
        try connection.prepare(
            "SELECT campaign_id, tripped_at, complaints, sent FROM complaint_guards WHERE tripped_at IS NOT NULL"
        ).rows { row in
            let campaign = row.text(0) ?? ""
            trips[campaign] = ComplaintGuard.Trip(
                campaignID: campaign, at: Date(epochSeconds: row.integer(1)),
                counts: .init(complaints: Int(row.integer(2)), sent: Int(row.integer(3))))
        }
        return trips
    }

    public func recordGuardTrip(_ trip: ComplaintGuard.Trip) throws {
        try connection.transaction {
            try connection.prepare(
                """
                INSERT INTO complaint_guards (campaign_id, tripped_at, complaints, sent) VALUES (?1, ?2, ?3, ?4)
                ON CONFLICT (campaign_id) DO UPDATE SET tripped_at = ?2, complaints = ?3, sent = ?4
                WHERE complaint_guards.tripped_at IS NULL
                """
            ).rows([
                .text(trip.campaignID), .integer(trip.at.epochSeconds), .integer(Int64(trip.counts.complaints)),
                .integer(Int64(trip.counts.sent)),
            ])
        }
    }

    public func resetGuard(campaignID: String, now: Date) throws -> Bool {
        try connection.transaction {
            try connection.prepare(
                "UPDATE complaint_guards SET tripped_at = NULL, reset_at = ? WHERE campaign_id = ? AND tripped_at IS NOT NULL"
            ).rows([.integer(now.epochSeconds), .text(campaignID)])
            return connection.changes == 1
        }
    }
}
