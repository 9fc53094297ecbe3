/// What one tick did, for its one-line summary.
public struct TickSummary: Sendable, Hashable, CustomStringConvertible {
    public var enrolled = 0
    /// Stages entered (`stages:`), each by one lead.
    public var staged = 0
    public var sent = 0
    public var skipped = 0
    /// Deferred after a transient failure, to be retried on a later tick.
    public var retrying = 0
    public var failed = 0
    public var exited = 0
    public var converted = 0
    public var completed = 0
    public var suppressed = 0
    /// Messages held for a variable the lead lacks, and the variables.
    public var held = 0
    public var heldVariables: Set<String> = []
    /// Messages whose outcome cannot be known (see `nurture status`).
    public var unknown = 0
    /// Interrupted sends of an earlier tick that were found delivered or not.
    public var recovered = 0
    /// Set when the tick stopped early (a fatal transport error).
    public var stoppedBecause: String?
    /// The error of the last message deferred, to say why when nothing could be delivered.
    public var lastRetryReason: String?
    /// Webhook requests answered with a 2xx, and failed (to be retried).
    public var webhooksDelivered = 0
    public var webhooksFailed = 0
    /// A/B tests this tick ended: "campaign/step: variant".
    public var winners: [String] = []
    /// Campaigns whose complaint guard tripped in this tick.
    public var guardsTripped: [String] = []
    /// `--limit` was reached with work still due.
    public var limitReached = false

    public init() {}

    /// Adds what one delivery lane counted (its sends, retries, failures, unknowns and
    /// completed drips); the first reason to stop wins.
    mutating func absorbDeliveries(of lane: TickSummary) {
        sent += lane.sent
        retrying += lane.retrying
        failed += lane.failed
        unknown += lane.unknown
        completed += lane.completed
        stoppedBecause = stoppedBecause ?? lane.stoppedBecause
        lastRetryReason = lane.lastRetryReason ?? lastRetryReason
    }

    public var description: String {
        var parts = [
            "sent \(sent)", "skipped \(skipped)", "retrying \(retrying)", "failed \(failed)", "exited \(exited)",
            "converted \(converted)",
        ]
        if completed > 0 { parts.append("completed \(completed)") }
        if enrolled > 0 { parts.append("enrolled \(enrolled)") }
        if staged > 0 { parts.append("entered \(staged) stage\(staged == 1 ? "" : "s")") }
        if suppressed > 0 { parts.append("suppressed \(suppressed)") }
        if held > 0 {
            parts.append(
                "held \(held) (missing \(heldVariables.sorted().map { "'\($0)'" }.joined(separator: ", ")); see nurture status)"
            )
        }
        if unknown > 0 { parts.append("unknown \(unknown) (see nurture status)") }
        if recovered > 0 { parts.append("recovered \(recovered)") }
        if !winners.isEmpty {
            parts.append("A/B winner\(winners.count == 1 ? "" : "s") \(winners.joined(separator: ", "))")
        }
        if !guardsTripped.isEmpty {
            parts.append("complaint guard tripped for \(guardsTripped.joined(separator: ", ")) (see nurture status)")
        }
        if webhooksDelivered > 0 { parts.append("webhooks delivered \(webhooksDelivered)") }
        if webhooksFailed > 0 { parts.append("webhooks failing \(webhooksFailed) (see nurture status)") }
        return parts.joined(separator: ", ")
    }
}
