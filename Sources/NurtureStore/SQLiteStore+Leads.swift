import Foundation
import NurtureCore

extension SQLiteStore {
    /// A new lead's row; `leadValues` binds it. Both upsert and add-if-new start here.
    static let insertLeadSQL = """
        INSERT INTO leads (email, email_key, first_name, last_name, timezone, attributes, created_at, updated_at, source, medium, source_campaign)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9, ?10)
        """
    static let noSourceYet = "leads.source IS NULL AND leads.medium IS NULL AND leads.source_campaign IS NULL"
    static let upsertLeadSQL =
        insertLeadSQL + """

            ON CONFLICT (email_key) DO UPDATE SET
                first_name = coalesce(excluded.first_name, leads.first_name),
                last_name = coalesce(excluded.last_name, leads.last_name),
                timezone = coalesce(excluded.timezone, leads.timezone),
                attributes = json_patch(leads.attributes, excluded.attributes),
                updated_at = excluded.updated_at,
                -- First touch: a lead with a source keeps all of it.
                source = CASE WHEN \(noSourceYet) THEN excluded.source ELSE leads.source END,
                medium = CASE WHEN \(noSourceYet) THEN excluded.medium ELSE leads.medium END,
                source_campaign = CASE WHEN \(noSourceYet) THEN excluded.source_campaign ELSE leads.source_campaign END
            """

    public func upsertLeads(_ leads: [LeadInput], now: Date) throws -> UpsertSummary {
        guard !leads.isEmpty else { return UpsertSummary() }
        let timestamp = now.epochSeconds
        return try connection.transaction {
            var summary = UpsertSummary()
            let upsert = try connection.prepare(Self.upsertLeadSQL)
            let existing = try connection.prepare("SELECT id FROM leads WHERE email_key = ?")
            var tags = try TagRowWriter(connection: connection, addedAt: timestamp)
            for index in leads.indices {
                // An upsert that inserts sets the connection's last rowid; one that updates
                // leaves it (and triggers restore theirs), so after a reset to 0 a rowid
                // means a new lead. No RETURNING: it cost SQLite a temporary table per row
                // (a quarter of an import's time on the store's side).
                connection.lastInsertRowID = 0
                try Self.setLeadValues(leads[index], at: timestamp, on: upsert)
                try upsert.run()
                var id = connection.lastInsertRowID
                if id != 0 {
                    summary.inserted += 1
                } else {
                    try existing.rows([.text(leads[index].email.normalized)]) { id = $0.integer(0) }
                    summary.updated += 1
                }
                for tag in leads[index].uniqueTags { try tags.add(leadID: id, tag: tag) }
            }
            try tags.finish()
            return summary
        }
    }

    /// Binds `insertLeadSQL`'s values for a lead, for `run()`.
    static func setLeadValues(_ lead: LeadInput, at timestamp: Int64, on statement: SQLiteStatement) throws {
        try statement.set(1, lead.email.address)
        try statement.set(2, lead.email.normalized)
        try statement.set(3, lead.firstName)
        try statement.set(4, lead.lastName)
        try statement.set(5, lead.timeZone)
        try statement.set(6, lead.attributesJSON)
        try statement.set(7, timestamp)
        try statement.set(8, lead.source?.source)
        try statement.set(9, lead.source?.medium)
        try statement.set(10, lead.source?.campaign)
    }

    public func addLeadIfNew(_ lead: LeadInput, now: Date) throws -> Bool {
        try connection.transaction { try insertLeadIfNew(lead, at: now) != nil }
    }

    /// Inserts the lead with its tags, in the caller's transaction, unless its address is
    /// known; returns its id when it was added.
    func insertLeadIfNew(_ lead: LeadInput, at now: Date) throws -> Int64? {
        var id: Int64?
        let insert = try connection.prepare(Self.insertLeadSQL + " ON CONFLICT (email_key) DO NOTHING RETURNING id")
        try Self.setLeadValues(lead, at: now.epochSeconds, on: insert)
        try insert.run { id = $0.integer(0) }
        guard let id else { return nil }
        var tags = try TagRowWriter(connection: connection, addedAt: now.epochSeconds)
        for tag in lead.uniqueTags { try tags.add(leadID: id, tag: tag) }
        try tags.finish()
        return id
    }

    public func leads(matching filter: LeadFilter, after: Int64, limit: Int) throws -> [Lead] {
        // Every filter is a bound parameter; an absent one is NULL and lets every lead pass.
        var leads: [Lead] = []
        try connection.prepare(
            """
            SELECT \(Self.leadColumnsOfL) FROM leads l
            WHERE l.id > ?1
              AND (?2 IS NULL OR EXISTS (SELECT 1 FROM lead_tags t WHERE t.lead_id = l.id AND t.tag = ?2))
              AND (?3 IS NULL OR l.status = ?3)
              AND (?4 IS NULL OR EXISTS (SELECT 1 FROM enrollments e WHERE e.lead_id = l.id AND e.campaign_id = ?4))
              AND (?6 IS NULL OR EXISTS (
                    SELECT 1 FROM lead_stages s WHERE s.lead_id = l.id AND s.stage IN (SELECT value FROM json_each(?6))))
            ORDER BY l.id LIMIT ?5
            """
        ).rows([
            .integer(after), Self.optional(filter.tag), Self.optional(filter.status?.rawValue),
            Self.optional(filter.campaign),
            .integer(Int64(limit)), filter.stages.map { .text(JSONText.array($0)) } ?? .null,
        ]) { row in
            if let lead = Self.lead(from: row) { leads.append(lead) }
        }
        // Attributes too: fit rules read them.
        try fillTagsAndAttributes(&leads)
        return leads
    }

    public func lead(email: EmailAddress) throws -> Lead? {
        try loadLead(where: "email_key = ?", .text(email.normalized))
    }

    static let leadColumns =
        "id, email, first_name, last_name, timezone, status, created_at, source, medium, source_campaign"
    /// `leadColumns` of the table aliased `l`, for joins.
    static let leadColumnsOfL = leadColumns.split(separator: ",").map { "l." + $0.trimmingCharacters(in: .whitespaces) }
        .joined(separator: ", ")

    /// A lead read from a `leadColumns` row (tags and attributes not yet filled in).
    static func lead(from row: SQLiteStatement, offset: Int32 = 0) -> Lead? {
        guard let address = try? EmailAddress(row.text(offset + 1) ?? "") else { return nil }
        return Lead(
            id: row.integer(offset), email: address, firstName: row.text(offset + 2), lastName: row.text(offset + 3),
            timeZone: row.text(offset + 4), status: LeadStatus(rawValue: row.text(offset + 5) ?? "") ?? .active,
            createdAt: Date(epochSeconds: row.integer(offset + 6)),
            source: LeadSource(
                source: row.text(offset + 7), medium: row.text(offset + 8), campaign: row.text(offset + 9)))
    }

    func loadLead(where condition: String, _ value: SQLiteStatement.Value) throws -> Lead? {
        var lead: Lead?
        try connection.prepare("SELECT \(Self.leadColumns) FROM leads WHERE \(condition)").rows([value]) {
            lead = Self.lead(from: $0)
        }
        guard var found = lead else { return nil }
        try fillTagsAndAttributes(&found)
        return found
    }

    func fillTagsAndAttributes(_ lead: inout Lead) throws {
        var leads = [lead]
        try fillTagsAndAttributes(&leads)
        lead = leads[0]
    }

    /// Tags and attributes of a page of leads, in two queries for the whole page (the
    /// send loop reads thousands of leads per tick).
    func fillTagsAndAttributes(_ leads: inout [Lead]) throws {
        let ids = leads.compactMap(\.id)
        guard !ids.isEmpty else { return }
        let list = SQLiteStatement.Value.text(JSONText.integers(ids))
        var tags: [Int64: Set<String>] = [:]
        var attributes: [Int64: [String: String]] = [:]
        try connection.prepare("SELECT lead_id, tag FROM lead_tags WHERE lead_id IN (SELECT value FROM json_each(?))")
            .rows([list]) { row in
                if let tag = row.text(1) { tags[row.integer(0), default: []].insert(tag) }
            }
        try connection.prepare(
            """
            SELECT leads.id, j.key, j.value FROM leads, json_each(leads.attributes) j WHERE leads.id IN (SELECT value FROM json_each(?))
            """
        ).rows([list]) { row in
            if let key = row.text(1) { attributes[row.integer(0), default: [:]][key] = row.text(2) ?? "" }
        }
        for index in leads.indices {
            guard let id = leads[index].id else { continue }
            leads[index].tags = tags[id] ?? []
            leads[index].attributes = attributes[id] ?? [:]
        }
    }

    public func setStatus(_ status: LeadStatus, email: EmailAddress, now: Date) throws -> Lead? {
        try updateStatus(status, email: email, now: now)
        return try lead(email: email)
    }

    /// The status change alone, inside the caller's transaction if there is one.
    func updateStatus(_ status: LeadStatus, email: EmailAddress, now: Date) throws {
        try connection.prepare(
            """
            UPDATE leads SET status = ?1, status_changed_at = ?2, updated_at = ?2 WHERE email_key = ?3 AND status <> ?1
            """
        ).rows([.text(status.rawValue), .integer(now.epochSeconds), .text(email.normalized)])
    }

    public func countActiveLeads(lacking variable: String) throws -> Int {
        let condition: String
        var parameters: [SQLiteStatement.Value] = []
        switch variable {
        case "first_name": condition = "coalesce(first_name, '') = ''"
        case "last_name": condition = "coalesce(last_name, '') = ''"
        default:
            condition = "coalesce(json_extract(attributes, ?), '') = ''"
            parameters = [.text(JSONText.path(forKey: variable))]
        }
        var count = 0
        try connection.prepare("SELECT count(*) FROM leads WHERE status = 'active' AND \(condition)").rows(parameters) {
            count = Int($0.integer(0))
        }
        return count
    }

    public func activeLeadAttributesNotDated(named name: String) throws -> (count: Int, example: String?) {
        var result: (count: Int, example: String?) = (0, nil)
        try connection.prepare(
            """
            SELECT count(*), min(v) FROM (
                SELECT json_extract(attributes, ?1) AS v FROM leads WHERE status = 'active')
            WHERE coalesce(v, '') <> '' AND trim(v) NOT GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'
            """
        ).rows([.text(JSONText.path(forKey: name))]) {
            result = (Int($0.integer(0)), $0.text(1))
        }
        return result
    }

    static func optional(_ text: String?) -> SQLiteStatement.Value {
        text.map { .text($0) } ?? .null
    }
}

extension SQLiteStore {
    /// What may score for a page of leads, in two queries: the first human open and click
    /// of each of their messages, and their events named in `events`.
    public func scoreEvidence(leadIDs: [Int64], events: Set<String>) throws -> [Int64: [ScoreEvidence]] {
        guard !leadIDs.isEmpty else { return [:] }
        let list = SQLiteStatement.Value.text(JSONText.integers(leadIDs))
        var evidence: [Int64: [ScoreEvidence]] = [:]
        try connection.read {
            try connection.prepare(
                """
                SELECT e.lead_id, e.campaign_id, m.step_id, a.kind, min(a.occurred_at_ms)
                FROM enrollments e JOIN messages m ON m.enrollment_id = e.id JOIN activity a ON a.message_row = m.id
                WHERE e.lead_id IN (SELECT value FROM json_each(?1)) AND a.class = 'human' AND a.decoy = 0
                GROUP BY m.id, a.kind
                """
            ).rows([list]) { row in
                let campaign = row.text(1) ?? ""
                let step = row.text(2) ?? ""
                let source: ScoreEvidence.Source =
                    row.text(3) == "open"
                    ? .open(campaign: campaign, step: step) : .click(campaign: campaign, step: step)
                evidence[row.integer(0), default: []].append(
                    ScoreEvidence(source, at: Date(timeIntervalSince1970: Double(row.integer(4)) / 1000)))
            }
            guard !events.isEmpty else { return }
            try connection.prepare(
                """
                SELECT lead_id, name, occurred_at FROM events
                WHERE lead_id IN (SELECT value FROM json_each(?1)) AND name IN (SELECT value FROM json_each(?2))
                """
            ).rows([list, .text(JSONText.array(events.sorted()))]) { row in
                evidence[row.integer(0), default: []].append(
                    ScoreEvidence(.event(row.text(1) ?? ""), at: Date(epochSeconds: row.integer(2))))
            }
        }
        return evidence
    }
}
