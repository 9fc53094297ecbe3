import Foundation

/// Leads: who they are and whether they may be mailed.
public protocol LeadStore: Sendable {
    /// Creates or updates leads by email (case-insensitively). Nil fields leave what is
    /// stored; tags and attributes are added. Never changes a lead's status, so an
    /// import cannot resubscribe someone who unsubscribed.
    func upsertLeads(_ leads: [LeadInput], now: Date) async throws -> UpsertSummary

    /// Readies this process's store for a long run of `upsertLeads` and nothing else
    /// (`leads import`): SQLite trades checks its own rows do not need, and a smaller page
    /// cache, for speed and memory; PostgreSQL needs nothing.
    func prepareForImport() async throws

    /// Adds a lead unless its address is already known; an existing lead is left exactly
    /// as it is. Returns whether it was added. For the public form, where anyone can type
    /// anyone's address.
    func addLeadIfNew(_ lead: LeadInput, now: Date) async throws -> Bool

    func lead(email: EmailAddress) async throws -> Lead?

    /// What may score for these leads (`ScoreRules` turn it into points): the first human
    /// open and the first human click of each of their messages, and their events named
    /// in `events`, by lead id.
    func scoreEvidence(leadIDs: [Int64], events: Set<String>) async throws -> [Int64: [ScoreEvidence]]

    /// Leads matching `filter` with ids above `after`, by id, at most `limit` (a page: the
    /// caller pages through any number of leads in bounded memory). Tags and attributes
    /// are filled in.
    func leads(matching filter: LeadFilter, after: Int64, limit: Int) async throws -> [Lead]

    /// Sets a lead's status; returns the lead as it is now, or nil when there is none.
    func setStatus(_ status: LeadStatus, email: EmailAddress, now: Date) async throws -> Lead?

    func leadCount() async throws -> Int

    /// How many active leads have no value for a template variable: `first_name` and
    /// `last_name` are the lead's own fields, other names are custom attributes.
    func countActiveLeads(lacking variable: String) async throws -> Int

    /// Non-empty values of a custom attribute among active leads that do not start with
    /// an ISO 8601 date (`YYYY-MM-DD`, after trimming spaces): how many, and one of them.
    /// Validate uses it to find dates a `wait_until` step would skip the lead for.
    func activeLeadAttributesNotDated(named name: String) async throws -> (count: Int, example: String?)

    /// Unsubscribes the lead of an enrolment (from the unsubscribe link of `step`);
    /// returns its address, or nil when there is no such enrolment.
    func unsubscribe(enrollmentID: Int64, step: String?, now: Date) async throws -> EmailAddress?

    /// The lead of an enrolment, for the confirmation page.
    func lead(enrollmentID: Int64) async throws -> Lead?

    /// The installation's link-signing secret, generated and stored on first use.
    func linkSecret(generate: @Sendable () -> String) async throws -> String

    /// Replaces the stored secret (a rotation: the old one is still accepted through
    /// `NURTURE_SECRET_PREVIOUS` while old mail may be read).
    func replaceLinkSecret(with secret: String) async throws
}
