import Foundation
import NurtureCore

extension SQLiteStore {
    public func recordEvent(
        _ input: LeadInput, name: String, attributes: [String: String], goalCampaigns: [String], now: Date
    ) throws -> [String] {
        _ = try upsertLeads([input], now: now)
        return try connection.transaction {
            guard let lead = try loadLead(where: "email_key = ?", .text(input.email.normalized)), let leadID = lead.id
            else { return [] }
            return try recordEvent(
                leadID: leadID, name: name, attributes: attributes, goalCampaigns: goalCampaigns, at: now)
        }
    }

    /// Records an event inside the caller's transaction and ends the lead's active
    /// enrolments in `goalCampaigns` as converted; returns those campaigns.
    func recordEvent(leadID: Int64, name: String, attributes: [String: String], goalCampaigns: [String], at now: Date)
        throws -> [String]
    {
        let time = SQLiteStatement.Value.integer(now.epochSeconds)
        try connection.prepare("INSERT INTO events (lead_id, name, attributes, occurred_at) VALUES (?, ?, ?, ?)")
            .rows([.integer(leadID), .text(name), .text(JSONText.object(attributes)), time])
        var converted: [String] = []
        for campaign in goalCampaigns {
            try connection.prepare(
                """
                UPDATE enrollments SET state = 'converted', ended_at = ?, end_reason = ?, next_due_at = NULL, next_step_id = NULL
                WHERE campaign_id = ? AND lead_id = ? AND state = 'active'
                """
            ).rows([time, .text("goal event '\(name)'"), .text(campaign), .integer(leadID)])
            if connection.changes > 0 { converted.append(campaign) }
        }
        return converted
    }
}
