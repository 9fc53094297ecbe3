import Foundation

/// A lead waiting for its stages to be checked, as stage rules read it.
public struct StageCheck: Sendable, Hashable {
    /// With tags, attributes, first events and the stages it has reached.
    public var lead: Lead
    /// Where it is in the queue: a check clears only what was queued up to here, so a
    /// change that arrives while it is being checked queues it again.
    public var seq: Int64

    public init(lead: Lead, seq: Int64) {
        self.lead = lead
        self.seq = seq
    }
}

/// A lead entering a stage, at the moment its rule first held.
public struct StageEntry: Sendable, Hashable {
    public var leadID: Int64
    public var stage: String
    public var at: Date

    public init(leadID: Int64, stage: String, at: Date) {
        self.leadID = leadID
        self.stage = stage
        self.at = at
    }
}

/// A lead to check again at `at`: it recorded something dated after the clock of the
/// check that just looked at it.
public struct StageRecheck: Sendable, Hashable {
    public var leadID: Int64
    public var at: Date

    public init(leadID: Int64, at: Date) {
        self.leadID = leadID
        self.at = at
    }
}

/// Lifecycle stages in the store.
public protocol StageStore: Sendable {
    /// Turns the check queue on for rules with this fingerprint, or off (nil). While on,
    /// the store queues a lead, in the transaction that changes it, whenever its fields
    /// or tags change, it records an event, or a person opens or clicks its mail. New or
    /// changed rules queue every lead once. Returns how many leads that queued.
    func prepareStageChecks(fingerprint: String?) async throws -> Int

    /// Queues the leads whose recheck (`enterStages`' `recheck`) is due by `now`.
    /// Returns how many.
    func queueStageRechecks(dueBy now: Date) async throws -> Int

    /// Up to `limit` queued leads, in queue order.
    func queuedStageChecks(limit: Int) async throws -> [StageCheck]

    /// In one transaction: records each entry not already there, dated by the entry
    /// (with an event named after the stage at that time, which ends the lead's active
    /// enrolments in the campaigns `goalCampaigns` lists for that stage, as a
    /// conversion), clears the checks done, and keeps each of `recheck` for its time
    /// (the earlier one, when one is kept already). Returns the entries that were new.
    func enterStages(
        _ entries: [StageEntry], done: [StageCheck], recheck: [StageRecheck], goalCampaigns: [String: [String]],
        now: Date
    ) async throws -> [StageEntry]

    /// The stages each lead reached, by lead id.
    func stages(ofLeads ids: [Int64]) async throws -> [Int64: Set<String>]

    /// How many leads reached each stage.
    func stageCounts() async throws -> [String: Int]
}
