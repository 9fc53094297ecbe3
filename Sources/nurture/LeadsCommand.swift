import ArgumentParser
import Foundation
import NurtureCore

struct LeadsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leads",
        abstract: "Import, add and look up leads.",
        subcommands: [LeadsImportCommand.self, LeadsAddCommand.self, LeadsShowCommand.self, LeadsListCommand.self])
}

/// `--attr K=V` values, checked when the arguments are parsed.
struct AttributeArgument: ExpressibleByArgument {
    let name: String
    let value: String

    init?(argument: String) {
        guard let equals = argument.firstIndex(of: "=") else { return nil }
        let name = LeadCSVMapping.normalize(String(argument[..<equals]))
        guard !name.isEmpty else { return nil }
        let value = argument[argument.index(after: equals)...]
        // Bounded like every lead value (ArgumentParser then says the value is invalid).
        guard value.count <= attributeValueLimit else { return nil }
        self.name = name
        self.value = String(argument[argument.index(after: equals)...])
    }

    static var defaultCompletionKind: CompletionKind { .default }
}

struct LeadsAddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Add a lead, or update the one with this email.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The lead's email address.") var email: String
    @Option(name: .customLong("first-name")) var firstName: String?
    @Option(name: .customLong("last-name")) var lastName: String?
    @Option(help: ArgumentHelp("IANA time zone, like America/New_York.", valueName: "zone")) var timezone: String?
    @Option(name: .customLong("tag"), help: "A tag (repeatable).") var tags: [String] = []
    @Option(name: .customLong("attr"), help: ArgumentHelp("A custom attribute (repeatable).", valueName: "key=value"))
    var attributes: [AttributeArgument] = []
    @Option(help: "Where the lead came from (utm_source); kept only if it has no source yet.") var source: String?
    @Option(help: "The medium it came through (utm_medium).") var medium: String?
    @Option(name: .customLong("source-campaign"), help: "The marketing campaign that brought it (utm_campaign).")
    var sourceCampaign: String?

    func validate() throws {
        do { _ = try EmailAddress(email) } catch {
            throw ValidationError("'\(email)' is not a valid email address: \(error)")
        }
        if let timezone, !TimeZoneNames.isKnown(timezone) {
            throw ValidationError("unknown time zone '\(timezone)'; use an IANA name like America/New_York")
        }
        for tag in tags where !CampaignParser.isIdentifier(tag) {
            throw ValidationError("tag '\(tag)' may only hold letters, digits, '_', '-' and '.'")
        }
        for name in [firstName, lastName].compactMap({ $0 })
        where name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw ValidationError("names may not contain line breaks or control characters")
        }
    }

    func run() async throws {
        let project = try Project(options: global)
        let store = try await project.openStore(mayCreate: true)
        let address = try EmailAddress(email)
        let input = LeadInput(
            email: address, firstName: firstName, lastName: lastName, timeZone: timezone, tags: tags,
            attributes: Dictionary(attributes.map { ($0.name, $0.value) }, uniquingKeysWith: { _, last in last }),
            source: LeadSource(source: source, medium: medium, campaign: sourceCampaign))
        let summary = try await store.upsertLeads([input], now: Date())
        print(summary.inserted == 1 ? "added \(address)" : "updated \(address)")
    }
}

struct LeadsShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show a lead: fields, tags, attributes, and its timeline.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The lead's email address.") var email: String
    @Option(help: "table (for people) or json (for tools).") var format: ShowFormat = .table
    @Option(help: ArgumentHelp("Take the score at this time (default: now).", valueName: "time")) var now: TimeArgument?

    enum ShowFormat: String, ExpressibleByArgument, CaseIterable {
        case table, json
    }

    func run() async throws {
        let address = try UserError.parseEmail(email)
        let project = try Project(options: global)
        let store = try await project.openStore()
        guard var timeline = try await store.timeline(email: address) else {
            throw UserError("no lead with email \(address)")
        }
        let time = now?.date ?? Date()
        let rules = project.settings.scoreRules
        timeline.lead.score = timeline.score(rules: rules, at: time)
        if let id = timeline.lead.id { timeline.lead.stages = try await store.stages(ofLeads: [id])[id] ?? [] }
        let suppressedBy = try await store.suppressionEntries(for: [address.address.lowercased()]).values.first
        if format == .json {
            print(LeadDescription.json(timeline, scoreRules: rules, at: time, suppressedBy: suppressedBy))
            return
        }
        // Attributes a wait_until step reads are checked as dates, so a value in another
        // form shows as such rather than surfacing later as a skipped step.
        let dateAttributes = Set(project.loadCatalog().campaigns.flatMap(\.steps).compactMap(\.dateAttribute))
        // Names and attributes are lead data: shown with control characters escaped.
        print(
            Terminal.escapingControls(
                LeadDescription.describe(
                    timeline.lead, dateAttributes: dateAttributes, stageOrder: project.settings.stageRules.ids)))
        if let suppressedBy { print("  suppressed: \(suppressedBy) is on the suppression list; never mailed") }
        print(Terminal.escapingControls(LeadDescription.describe(timeline, scoreRules: rules, at: time)))
    }
}

struct UnsubscribeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unsubscribe", abstract: "Unsubscribe a lead: they get no further messages.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The lead's email address.") var email: String
    @Option(help: ArgumentHelp("When it happened (default: now), for backfills.", valueName: "time")) var at:
        TimeArgument?

    func run() async throws {
        let address = try UserError.parseEmail(email)
        let store = try await Project(options: global).openStore()
        guard let before = try await store.lead(email: address) else {
            throw UserError("no lead with email \(address)")
        }
        if before.status == .unsubscribed {
            print("\(address) was already unsubscribed")
            return
        }
        let time = at?.date ?? Date()
        _ = try await retryingWhileBusy { try await store.setStatus(.unsubscribed, email: address, now: time) }
        // Recorded as an event too, so the lead's story (`leads show`) says when and how.
        _ = try await retryingWhileBusy {
            try await store.recordEvent(
                LeadInput(email: address), name: "unsubscribed", attributes: ["via": "nurture unsubscribe"],
                goalCampaigns: [], now: time)
        }
        print("unsubscribed \(address)")
    }
}
