import ArgumentParser
import Foundation
import NurtureCore

struct EventCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "event",
        abstract: "Record an event for a lead: it may enrol them, or end drips as a conversion.",
        discussion: """
            The lead is created when it is new. Campaigns whose exit_on names the event end at
            once for the lead (converted); campaigns that enrol on it take the lead in at the
            next tick. With --at, the event is recorded at that time (a backfill from a CRM):
            a past goal event converts as of then; an event later than a tick's clock (a replay
            with run --now) is considered only by ticks at or after its time.
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The lead's email address.") var email: String
    @Argument(help: "The event's name, like signed_up or purchased.") var name: String
    @Option(
        name: .customLong("attr"), help: ArgumentHelp("A detail of the event (repeatable).", valueName: "key=value"))
    var attributes: [AttributeArgument] = []
    @Option(help: ArgumentHelp("When it happened (default: now).", valueName: "time")) var at: TimeArgument?

    func validate() throws {
        guard CampaignParser.isIdentifier(name) else {
            throw ValidationError("event names use letters, digits, '_', '-' and '.'")
        }
    }

    func run() async throws {
        let address = try UserError.parseEmail(email)
        let project = try Project(options: global)
        let catalog = project.loadCatalog()
        for error in catalog.diagnostics.errors {
            Terminal.warning("\(error.location): campaign files have errors; only valid campaigns count")
            break
        }
        let store = try await project.openStore(mayCreate: true)
        let wallClock = Date()
        let webhooks = try await project.webhookDispatcher(store: store)
        let at = self.at?.date ?? wallClock
        // A goal event dated after the wall clock converts at the first tick at or after
        // its time, not now.
        let goals = at <= wallClock ? catalog.campaigns.filter { $0.exitOn.contains(name) }.map(\.id) : []
        let converted = try await retryingWhileBusy {
            try await store.recordEvent(
                LeadInput(email: address), name: name,
                attributes: Dictionary(attributes.map { ($0.name, $0.value) }, uniquingKeysWith: { _, last in last }),
                goalCampaigns: goals, now: at)
        }
        var line = "recorded \(name) for \(address)"
        if !converted.isEmpty { line += "; converted in \(converted.joined(separator: ", "))" }
        // The event may move the lead (or others queued before it) into a stage at once.
        let entered = try await retryingWhileBusy {
            try await StageKeeper(
                store: store, rules: project.settings.stageRules, scoreRules: project.settings.scoreRules,
                catalog: catalog
            )
            .run(now: wallClock)
        }
        let leadID = entered.isEmpty ? nil : try await store.lead(email: address)?.id
        let ownStages = entered.filter { $0.leadID == leadID }.map(\.stage)
        if !ownStages.isEmpty { line += "; entered stage \(ownStages.joined(separator: ", "))" }
        // Hand-offs go at once; one that fails is retried by the next tick.
        if let webhooks, case (let delivered, let failed) = try await webhooks.run(now: wallClock),
            delivered + failed > 0
        {
            line +=
                "; webhooks delivered \(delivered)\(failed > 0 ? ", failing \(failed) (retried by the next tick)" : "")"
        }
        let enrolling = catalog.campaigns.filter { $0.enroll.events.contains(name) }.map(\.id)
        if !enrolling.isEmpty {
            line += "; enrols in \(enrolling.joined(separator: ", ")) at the next tick (if not in it already)"
        }
        print(line)
    }
}
