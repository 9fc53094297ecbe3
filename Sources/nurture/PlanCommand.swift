import ArgumentParser
import Foundation
import NurtureCore

struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what the current campaign files mean for the leads already enrolled, before anything is sent.")

    @OptionGroup var global: GlobalOptions
    @Option(help: ArgumentHelp("Plan against this time (default: now).", valueName: "time")) var now: TimeArgument?
    @Flag(name: .customLong("all"), help: "List every lead, not only the first 20 per campaign.") var listAll = false

    func run() async throws {
        let project = try Project(options: global)
        let catalog = try project.loadValidCatalog()
        let store = try await project.openStore()
        let time = now?.date ?? Date()
        let winners = try await store.variantWinners()
        for campaign in catalog.campaigns {
            let report = CampaignPlanReport(
                campaign: campaign, enrollments: try await store.enrollments(campaignID: campaign.id),
                planner: project.planner, now: time)
            print(
                "\(campaign.id) (\(campaign.file)): \(report.activeEnrollments) active enrolment\(report.activeEnrollments == 1 ? "" : "s")"
            )
            print("  steps: \(campaign.steps.map(\.id).joined(separator: " → "))")
            for step in campaign.steps {
                guard let old = step.renamedFrom else { continue }
                print("  step '\(step.id)' was '\(old)' (renamed_from): its history carries over; nobody gets it twice")
            }
            for line in try await Self.variantChanges(campaign: campaign, recorded: winners, store: store) {
                print("  " + line)
            }
            for problem in try await RenameCheck.all([campaign], store: store) {
                print("  warning: \(problem.message); \(problem.hint)")
            }
            for (step, count) in report.goneSteps.sorted(by: { $0.key < $1.key }) {
                print(
                    "  step '\(step)' is no longer in the file (removed or renamed): \(count) lead\(count == 1 ? "" : "s") got it; it is never sent again"
                )
            }
            let keptOut = try await store.countKeptOut(
                campaignID: campaign.id, rule: campaign.enrollment(stages: project.settings.stageRules), now: time)
            if keptOut > 0 {
                print(
                    "  \(keptOut) lead\(keptOut == 1 ? "" : "s") it would enrol already met its goal (\(campaign.goalEvents(stages: project.settings.stageRules).joined(separator: ", "))): kept out (reenroll: true would take them in)"
                )
            }
            for (step, count) in report.passedSteps.sorted(by: { $0.key < $1.key }) {
                print(
                    "  step '\(step)' comes before where \(count) lead\(count == 1 ? " is" : "s are"): \(count == 1 ? "it" : "they") will not get it"
                )
            }
            var counts: [String: Int] = [:]
            for next in report.next { counts[Self.label(next.action), default: 0] += 1 }
            for (label, count) in counts.sorted(by: { $0.key < $1.key }) { print("  \(count) × \(label)") }
            for next in (listAll ? report.next : Array(report.next.prefix(20))) {
                print("    \(next.email): \(Self.describe(next.action))")
            }
            if !listAll, report.next.count > 20 { print("    … and \(report.next.count - 20) more (--all lists them)") }
        }
    }

    static func label(_ action: DripAction) -> String {
        switch action {
        case .send(let step), .retry(let step): return "\(step.id) due now"
        case .wait(_, let step): return "\(step) later"
        case .blocked(let step): return "\(step) blocked (unknown outcome)"
        case .complete: return "finished"
        case .exit: return "leaving (else: exit)"
        case .suppressed(let status): return "\(status.rawValue): nothing more"
        }
    }

    static func describe(_ action: DripAction) -> String {
        switch action {
        case .send(let step): return "\(step.id) now"
        case .retry(let step): return "\(step.id) retried now"
        case .wait(let until, let step): return "\(step) at \(TimeText.utc(until))"
        case .blocked(let step): return "waiting for a decision on \(step) (unknown outcome)"
        case .complete: return "finished"
        case .exit(let step): return "leaves at \(step) (else: exit)"
        case .suppressed(let status): return "\(status.rawValue)"
        }
    }
}
