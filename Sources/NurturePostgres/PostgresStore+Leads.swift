import Foundation
import NurtureCore
import PostgresNIO

extension PostgresStore {
    /// A lead with its tags and attributes, read from `leadColumns` (table aliased `l`).
    static let leadColumns = """
        l.id, l.email, l.first_name, l.last_name, l.timezone, l.status, l.created_at, l.attributes::text,
        array(SELECT t.tag FROM lead_tags t WHERE t.lead_id = l.id ORDER BY t.tag), l.source, l.medium, l.source_campaign
        """

    /// The lead in a row's columns from `offset` on (laid out as `leadColumns`).
    static func lead(from row: PostgresRow, offset: Int = 0) throws -> Lead? {
        let cells = Array(row)
        func cell<T: PostgresDecodable>(_ index: Int, _ type: T.Type) throws -> T {
            try cells[offset + index].decode(T.self)
        }
        guard let address = try? EmailAddress(cell(1, String.self)) else { return nil }
        var lead = Lead(
            id: try cell(0, Int64.self), email: address, firstName: try cell(2, String?.self),
            lastName: try cell(3, String?.self),
            timeZone: try cell(4, String?.self), status: LeadStatus(rawValue: try cell(5, String.self)) ?? .active,
            createdAt: Date(epochSeconds: try cell(6, Int64.self)))
        lead.attributes = JSONText.textValues(ofObject: try cell(7, String.self))
        lead.tags = Set(try cell(8, [String].self))
        lead.source = LeadSource(
            source: try cell(9, String?.self), medium: try cell(10, String?.self), campaign: try cell(11, String?.self))
        return lead
    }

    static let noSourceYet = "leads.source IS NULL AND leads.medium IS NULL AND leads.source_campaign IS NULL"

    /// Nothing to ready: the import's batches are as fast on the pool as they come.
    public func prepareForImport() async throws {}

    public func upsertLeads(_ leads: [LeadInput], now: Date) async throws -> UpsertSummary {
        let batch = LeadBatch(leads)
        guard !batch.leads.isEmpty else { return UpsertSummary() }
        let time = now.epochSeconds
        return try await write { connection in
            // One statement for the whole batch: the rows travel as one JSON parameter.
            // `xmax = 0` holds for a row this statement inserted rather than updated.
            var inserted = 0
            for row in try await connection.rows(
                """
                INSERT INTO leads (email, email_key, first_name, last_name, timezone, attributes, created_at, updated_at, source, medium, source_campaign)
                SELECT x.email, x.k, x.f, x.l, x.z, coalesce(x.a, '{}'), \(time), \(time), x.s, x.m, x.c
                FROM jsonb_to_recordset(\(batch.rowsJSON)::jsonb) AS x(email text, k text, f text, l text, z text, a jsonb, s text, m text, c text)
                ON CONFLICT (email_key) DO UPDATE SET
                    first_name = coalesce(excluded.first_name, leads.first_name),
                    last_name = coalesce(excluded.last_name, leads.last_name),
                    timezone = coalesce(excluded.timezone, leads.timezone),
                    attributes = leads.attributes || excluded.attributes,
                    updated_at = excluded.updated_at,
                    -- First touch: a lead with a source keeps all of it.
                    source = CASE WHEN \(unescaped: Self.noSourceYet) THEN excluded.source ELSE leads.source END,
                    medium = CASE WHEN \(unescaped: Self.noSourceYet) THEN excluded.medium ELSE leads.medium END,
                    source_campaign = CASE WHEN \(unescaped: Self.noSourceYet) THEN excluded.source_campaign ELSE leads.source_campaign END
                RETURNING xmax = 0
                """, logger: self.logger)
            where try row.decode(Bool.self) {
                inserted += 1
            }
            try await self.addTags(batch.tagsJSON, at: time, on: connection)
            return UpsertSummary(inserted: inserted, updated: batch.leads.count - inserted + batch.repeats)
        }
    }

    /// Adds tags given as a JSON array of `{"k": email_key, "t": tag}`.
    func addTags(_ tagsJSON: String?, at time: Int64, on connection: PostgresConnection) async throws {
        guard let tagsJSON else { return }
        try await connection.query(
            """
            INSERT INTO lead_tags (lead_id, tag, added_at)
            SELECT l.id, x.t, \(time) FROM jsonb_to_recordset(\(tagsJSON)::jsonb) AS x(k text, t text) JOIN leads l ON l.email_key = x.k
            ON CONFLICT (lead_id, tag) DO NOTHING
            """, logger: logger)
    }

    public func addLeadIfNew(_ lead: LeadInput, now: Date) async throws -> Bool {
        let batch = LeadBatch([lead])
        let time = now.epochSeconds
        return try await write { try await self.insertLeadIfNew(batch, at: time, on: $0) }
    }

    /// Inserts a one-lead batch with its tags, in the caller's transaction, unless its
    /// address is known; returns whether it was added.
    func insertLeadIfNew(_ batch: LeadBatch, at time: Int64, on connection: PostgresConnection) async throws -> Bool {
        let added = try await connection.changes(
            """
            INSERT INTO leads (email, email_key, first_name, last_name, timezone, attributes, created_at, updated_at, source, medium, source_campaign)
            SELECT x.email, x.k, x.f, x.l, x.z, coalesce(x.a, '{}'), \(time), \(time), x.s, x.m, x.c
            FROM jsonb_to_recordset(\(batch.rowsJSON)::jsonb) AS x(email text, k text, f text, l text, z text, a jsonb, s text, m text, c text)
            ON CONFLICT (email_key) DO NOTHING RETURNING id
            """, logger: logger)
        guard added == 1 else { return false }
        try await addTags(batch.tagsJSON, at: time, on: connection)
        return true
    }

    public func lead(email: EmailAddress) async throws -> Lead? {
        try await read { connection in
            try await connection.rows(
                "SELECT \(unescaped: Self.leadColumns) FROM leads l WHERE l.email_key = \(email.normalized)",
                logger: self.logger
            )
            .first.flatMap { try Self.lead(from: $0) }
        }
    }

    public func lead(enrollmentID: Int64) async throws -> Lead? {
        try await read { connection in
            try await connection.rows(
                """
                SELECT \(unescaped: Self.leadColumns) FROM enrollments e JOIN leads l ON l.id = e.lead_id WHERE e.id = \(enrollmentID)
                """, logger: self.logger
            ).first.flatMap { try Self.lead(from: $0) }
        }
    }

    public func leads(matching filter: LeadFilter, after: Int64, limit: Int) async throws -> [Lead] {
        try await read { connection in
            // An absent filter is NULL and lets every lead pass.
            try await connection.rows(
                """
                SELECT \(unescaped: Self.leadColumns) FROM leads l
                WHERE l.id > \(after)
                  AND (\(filter.tag)::text IS NULL OR EXISTS (SELECT 1 FROM lead_tags t WHERE t.lead_id = l.id AND t.tag = \(filter.tag)))
                  AND (\(filter.status?.rawValue)::text IS NULL OR l.status = \(filter.status?.rawValue))
                  AND (\(filter.campaign)::text IS NULL OR EXISTS (
                        SELECT 1 FROM enrollments e WHERE e.lead_id = l.id AND e.campaign_id = \(filter.campaign)))
                  AND (\(filter.stages)::text[] IS NULL OR EXISTS (
                        SELECT 1 FROM lead_stages s WHERE s.lead_id = l.id AND s.stage = ANY(\(filter.stages))))
                ORDER BY l.id LIMIT \(limit)
                """, logger: self.logger
            ).compactMap { try Self.lead(from: $0) }
        }
    }

    public func setStatus(_ status: LeadStatus, email: EmailAddress, now: Date) async throws -> Lead? {
        try await write { connection in
            try await connection.query(Self.statusUpdate(status, email: email, now: now), logger: self.logger)
        }
        return try await lead(email: email)
    }

    /// A lead's status change, as one statement.
    static func statusUpdate(_ status: LeadStatus, email: EmailAddress, now: Date) -> PostgresQuery {
        """
        UPDATE leads SET status = \(status.rawValue), status_changed_at = \(now.epochSeconds), updated_at = \(now.epochSeconds)
        WHERE email_key = \(email.normalized) AND status <> \(status.rawValue)
        """
    }

    public func countActiveLeads(lacking variable: String) async throws -> Int {
        try await read { connection in
            switch variable {
            case "first_name":
                try await connection.count(
                    "SELECT count(*) FROM leads WHERE status = 'active' AND coalesce(first_name, '') = ''",
                    logger: self.logger)
            case "last_name":
                try await connection.count(
                    "SELECT count(*) FROM leads WHERE status = 'active' AND coalesce(last_name, '') = ''",
                    logger: self.logger)
            default:
                try await connection.count(
                    """
                    SELECT count(*) FROM leads WHERE status = 'active' AND coalesce(attributes ->> \(variable), '') = ''
                    """, logger: self.logger)
            }
        }
    }

    public func activeLeadAttributesNotDated(named name: String) async throws -> (count: Int, example: String?) {
        try await read { connection in
            let rows = try await connection.rows(
                """
                SELECT count(*), min(v) FROM (SELECT attributes ->> \(name) AS v FROM leads WHERE status = 'active') a
                WHERE coalesce(v, '') <> '' AND btrim(v) !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}'
                """, logger: self.logger)
            guard let row = rows.first else { return (0, nil) }
            let (count, example) = try row.decode((Int, String?).self)
            return (count, example)
        }
    }
}

/// Leads of one upsert as JSON parameters: one row per address (a lead twice in a batch,
/// say in two spellings of case, is merged first: one statement cannot update a row twice).
struct LeadBatch {
    var leads: [LeadInput]
    /// Rows merged into an earlier one of the same address (each counts as an update).
    var repeats = 0

    init(_ input: [LeadInput]) {
        var byKey: [String: Int] = [:]
        var merged: [LeadInput] = []
        for lead in input {
            guard let index = byKey[lead.email.normalized] else {
                byKey[lead.email.normalized] = merged.count
                merged.append(lead)
                continue
            }
            repeats += 1
            var earlier = merged[index]
            earlier.firstName = lead.firstName ?? earlier.firstName
            earlier.lastName = lead.lastName ?? earlier.lastName
            earlier.timeZone = lead.timeZone ?? earlier.timeZone
            earlier.attributes.merge(lead.attributes) { _, later in later }
            earlier.tags += lead.tags
            earlier.source = earlier.source ?? lead.source
            merged[index] = earlier
        }
        leads = merged
    }

    var rowsJSON: String {
        var out = "["
        for (index, lead) in leads.enumerated() {
            if index > 0 { out += "," }
            out += "{\"email\":"
            JSONText.appendString(lead.email.address, to: &out)
            out += ",\"k\":"
            JSONText.appendString(lead.email.normalized, to: &out)
            for (key, value) in [
                ("f", lead.firstName), ("l", lead.lastName), ("z", lead.timeZone),
                ("s", lead.source?.source), ("m", lead.source?.medium), ("c", lead.source?.campaign),
            ] {
                out += ",\"\(key)\":"
                if let value { JSONText.appendString(value, to: &out) } else { out += "null" }
            }
            out += ",\"a\":" + lead.attributesJSON + "}"
        }
        return out + "]"
    }

    /// Nil when no lead carries a tag.
    var tagsJSON: String? {
        var out = "["
        var any = false
        for lead in leads {
            for tag in lead.uniqueTags {
                if any { out += "," }
                any = true
                out += "{\"k\":"
                JSONText.appendString(lead.email.normalized, to: &out)
                out += ",\"t\":"
                JSONText.appendString(tag, to: &out)
                out += "}"
            }
        }
        return any ? out + "]" : nil
    }
}

extension PostgresStore {
    /// What may score for a page of leads, in two queries: the first human open and click
    /// of each of their messages, and their events named in `events`.
    public func scoreEvidence(leadIDs: [Int64], events: Set<String>) async throws -> [Int64: [ScoreEvidence]] {
        guard !leadIDs.isEmpty else { return [:] }
        return try await read { connection in
            var evidence: [Int64: [ScoreEvidence]] = [:]
            for try await (lead, campaign, step, kind, at) in try await connection.query(
                """
                SELECT e.lead_id, e.campaign_id, m.step_id, a.kind, min(a.occurred_at_ms)
                FROM enrollments e JOIN messages m ON m.enrollment_id = e.id JOIN activity a ON a.message_row = m.id
                WHERE e.lead_id = ANY(\(leadIDs)) AND a.class = 'human' AND NOT a.decoy
                GROUP BY e.lead_id, e.campaign_id, m.id, m.step_id, a.kind
                """, logger: self.logger
            ).decode((Int64, String, String, String, Int64).self) {
                let source: ScoreEvidence.Source =
                    kind == "open" ? .open(campaign: campaign, step: step) : .click(campaign: campaign, step: step)
                evidence[lead, default: []].append(
                    ScoreEvidence(source, at: Date(timeIntervalSince1970: Double(at) / 1000)))
            }
            guard !events.isEmpty else { return evidence }
            for try await (lead, name, at) in try await connection.query(
                """
                SELECT lead_id, name, occurred_at FROM events WHERE lead_id = ANY(\(leadIDs)) AND name = ANY(\(events.sorted()))
                """, logger: self.logger
            ).decode((Int64, String, Int64).self) {
                evidence[lead, default: []].append(ScoreEvidence(.event(name), at: Date(epochSeconds: at)))
            }
            return evidence
        }
    }
}
