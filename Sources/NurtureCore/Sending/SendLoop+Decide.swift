import Foundation

extension SendLoop {
    struct Work {
        var campaign: Campaign
        var step: Step
        var lead: Lead
        var snapshot: EnrollmentSnapshot
    }

    /// How soon a held message is looked at again: an import or a default added to the
    /// campaign file (which makes every enrolment due at once) may have filled the hole.
    static let holdRecheck: TimeInterval = 3600
    /// How soon a message held by the complaint guard is looked at again.
    static let guardRecheck: TimeInterval = 60

    /// The planner's verdict for each due enrolment, as store changes. `suppressed`: the
    /// leads' addresses (lower case) the suppression list covers, with the entry.
    func decide(
        _ due: [DueEnrollment], now: Date, allowance: Int?, winners: VariantWinners, needs: VariableNeeds,
        suppressed: [String: String] = [:], guards: [String: ComplaintGuard.Trip] = [:],
        summary: inout TickSummary
    ) -> (changes: [EnrollmentChange], work: [Int64: Work], limited: Bool) {
        var changes: [EnrollmentChange] = []
        var work: [Int64: Work] = [:]
        var limited = false
        for item in due {
            let id = item.snapshot.id
            // Only enrolments of loaded campaigns are picked; one whose file vanished
            // since is left exactly as it is, to continue when the file is back.
            guard let campaign = catalog.campaign(item.snapshot.campaignID) else { continue }
            // A goal event recorded with a time of its own (`event --at`) ends the drip
            // for ticks at or after that time, as of that time.
            if let goal = campaign.exitOn.compactMap({ name in item.lead.firstEvents[name].map { (name, $0) } })
                .filter({ $0.1 >= item.snapshot.enrolledAt && $0.1 <= now }).min(by: { $0.1 < $1.1 })
            {
                summary.converted += 1
                changes.append(EnrollmentChange(enrollmentID: id, outcome: Self.conversion(by: goal.0, at: goal.1)))
                continue
            }
            // Never mailed by any campaign: the drip ends as for a lead that may not be mailed.
            if let entry = suppressed[item.lead.email.address.lowercased()] {
                summary.suppressed += 1
                changes.append(
                    EnrollmentChange(
                        enrollmentID: id,
                        outcome: .end(.suppressed, reason: "the address is on the suppression list (\(entry))")))
                continue
            }
            let plan = planner.plan(campaign: campaign, lead: item.lead, snapshot: item.snapshot, now: now)
            summary.skipped += plan.skipped.count
            let outcome: EnrollmentChange.Outcome
            // A tripped guard holds the campaign's mail, first tries and retries alike, until
            // it is reset; looked at again each minute, so mail resumes soon after.
            if let trip = guards[campaign.id], let step = plan.action.stepToMail {
                summary.held += 1
                changes.append(
                    EnrollmentChange(
                        enrollmentID: id, skipped: plan.skipped,
                        outcome: .hold(at: now.addingTimeInterval(Self.guardRecheck), step: step, reason: trip.reason)))
                continue
            }
            switch plan.action {
            case .send(let step):
                let variant = VariantAssignment.variant(
                    of: step, campaignID: campaign.id, leadID: item.lead.id ?? id,
                    winner: winners.winner(campaign: campaign.id, step: step.id))
                let missing = needs.missing(campaign: campaign, step: step.rendering(variant: variant), lead: item.lead)
                if !missing.isEmpty {
                    summary.held += 1
                    summary.heldVariables.formUnion(missing)
                    outcome = .hold(
                        at: now.addingTimeInterval(Self.holdRecheck), step: step.id,
                        reason: VariableNeeds.reason(missing))
                } else if let allowance, work.count >= allowance {
                    limited = true
                    outcome = .reschedule(at: now, step: step.id)
                } else {
                    work[id] = Work(campaign: campaign, step: step, lead: item.lead, snapshot: item.snapshot)
                    outcome = .claim(
                        step: step.id,
                        messageID: MessageComposer.messageID(enrollmentID: id, step: step.id, campaign: campaign),
                        variant: variant)
                }
            case .retry(let step):
                if let allowance, work.count >= allowance {
                    limited = true
                    outcome = .reschedule(at: now, step: step.id)
                } else {
                    work[id] = Work(campaign: campaign, step: step, lead: item.lead, snapshot: item.snapshot)
                    // The deferred message may be stored under the step's former id.
                    outcome = .retry(step: item.snapshot.storedID(of: step))
                }
            case .wait(let until, let step): outcome = .reschedule(at: until, step: step)
            case .blocked(let step): outcome = .reschedule(at: nil, step: step)
            case .complete:
                summary.completed += 1
                outcome = .end(.completed, reason: "every step is behind the lead")
            case .exit(let step):
                summary.exited += 1
                outcome = .end(.exited, reason: "the condition of step '\(step)' was false (else: exit)")
            case .suppressed(let status):
                summary.suppressed += 1
                outcome = .end(.suppressed, reason: "the lead is \(status.rawValue)")
            }
            changes.append(EnrollmentChange(enrollmentID: id, skipped: plan.skipped, outcome: outcome))
        }
        return (changes, work, limited)
    }
}

extension DripAction {
    /// The step this action would mail now (a first try or a retry); nil when it mails nothing.
    fileprivate var stepToMail: String? {
        switch self {
        case .send(let step), .retry(let step): step.id
        default: nil
        }
    }
}
