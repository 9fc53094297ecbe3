import ArgumentParser
import Foundation
import NurtureCore

struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Show when each step would go for a lead, honouring waits, windows and the lead's zone.",
        discussion: """
            For a lead from the store (--lead), from where it stands in the drip; or for a sample
            lead built from --attr K=V, as if enrolled now. By default the lead is taken to open
            and click everything; --unengaged takes it to open nothing.
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The campaign id.") var campaign: String
    @Option(help: ArgumentHelp("Simulate for this lead from the store.", valueName: "email")) var lead: String?
    @Option(
        name: .customLong("attr"),
        help: ArgumentHelp("An attribute of the sample lead (repeatable).", valueName: "key=value"))
    var attributes: [AttributeArgument] = []
    @Option(help: ArgumentHelp("Start the simulation at this time (default: now).", valueName: "time")) var now:
        TimeArgument?
    @Flag(help: "Assume the lead opens and clicks nothing.") var unengaged = false

    func run() async throws {
        let project = try Project(options: global)
        let catalog = try project.loadValidCatalog()
        guard let campaign = catalog.campaign(campaign) else {
            let ids = catalog.campaigns.map(\.id)
            throw UserError(
                "no campaign '\(self.campaign)'; \(Suggestion.didYouMean(self.campaign, among: ids))campaigns: \(ids.joined(separator: ", "))"
            )
        }
        let start = now?.date ?? Date()
        var subject = try SampleLead.build(attributes)
        var snapshot = EnrollmentSnapshot(id: 0, campaignID: campaign.id, enrolledAt: start)
        var history: [ScoreEvidence] = []
        if let lead {
            let address = try UserError.parseEmail(lead)
            let store = try await project.openStore()
            guard let found = try await store.lead(email: address) else {
                throw UserError("no lead with email \(address)")
            }
            subject = found
            history = try await store.timeline(email: address)?.scoreEvidence ?? []
            if let enrolled = try await store.enrollments(campaignID: campaign.id).first(where: {
                $0.lead.id == found.id
            }) {
                snapshot = enrolled.snapshot
                subject = enrolled.lead
            } else if let met = campaign.goalMet(
                among: (try await store.timeline(email: address)?.events ?? []).map { ($0.name, $0.at) },
                stages: project.settings.stageRules, by: start)
            {
                print(
                    "\(campaign.id) for \(found.email): not enrolled: the lead already met the campaign's goal (event '\(met.event)' at \(TimeText.utc(met.at)));"
                )
                print("  reenroll: true in the campaign would take it in anyway")
                return
            }
        }
        let planner = project.planner
        let zone = planner.zone(for: subject, in: campaign)
        print(
            "\(campaign.id) for \(subject.email) (time zone \(zone.identifier)), \(snapshot.id == 0 ? "enrolled" : "from where it stands") at \(TimeText.utc(start))"
        )
        print(
            unengaged
                ? "assuming the lead opens and clicks nothing"
                : "assuming the lead opens and clicks every message (--unengaged for the opposite)")
        let entries = DripSimulator(planner: planner, scoreRules: project.settings.scoreRules).timeline(
            campaign: campaign, lead: subject, snapshot: snapshot, now: start, engaged: !unengaged, history: history)
        for entry in entries {
            switch entry {
            case .send(let step, let at):
                print(
                    "  \(step.padding(toLength: 14, withPad: " ", startingAt: 0)) \(TimeText.local(at, zone: zone))   (\(TimeText.utc(at)))"
                )
            case .skip(let step, let reason):
                print("  \(step.padding(toLength: 14, withPad: " ", startingAt: 0)) skipped: \(reason)")
            case .exit(let step, let at):
                print(
                    "  \(step.padding(toLength: 14, withPad: " ", startingAt: 0)) the lead leaves the drip at \(TimeText.local(at, zone: zone)) (else: exit)"
                )
            case .blocked(let step):
                print(
                    "  \(step) has a message with an unknown outcome: nothing more until it is decided (nurture status)"
                )
            case .suppressed(let status): print("  nothing: the lead is \(status.rawValue)")
            case .complete: print("  (end of the drip)")
            }
        }
    }
}

/// The lead `preview` and `simulate` use when no `--lead` is given.
enum SampleLead {
    static func build(_ attributes: [AttributeArgument]) throws -> Lead {
        var sample = Lead(email: try! EmailAddress("preview@example.com"))
        for attribute in attributes {
            switch attribute.name {
            case "email": sample.email = try UserError.parseEmail(attribute.value)
            case "first_name": sample.firstName = attribute.value
            case "last_name": sample.lastName = attribute.value
            case "timezone":
                guard TimeZoneNames.isKnown(attribute.value) else {
                    throw UserError("unknown time zone '\(attribute.value)'")
                }
                sample.timeZone = attribute.value
            case "tags": sample.tags.formUnion(LeadCSVMapping.splitTags(attribute.value))
            default: sample.attributes[attribute.name] = attribute.value
            }
        }
        return sample
    }
}
