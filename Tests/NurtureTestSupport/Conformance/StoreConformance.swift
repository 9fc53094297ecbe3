import Foundation
import NurtureCore
import Testing

/// Makes a new, empty store whose files (if any) live in the given folder.
public typealias StoreFactory = @Sendable (TemporaryDirectory) async throws -> any Store

/// One check of the store contract. It gets a factory rather than a store so it can set
/// up its own folder (templates, campaigns) first; every failed `#expect` is recorded
/// against the test that runs it.
public struct ConformanceCheck: Sendable, CustomTestStringConvertible {
    public let name: String
    let body: @Sendable (StoreFactory) async throws -> Void

    init(_ name: String, _ body: @escaping @Sendable (StoreFactory) async throws -> Void) {
        self.name = name
        self.body = body
    }

    public var testDescription: String { name }

    public func run(on makeStore: @escaping StoreFactory) async throws {
        try await body(makeStore)
    }
}

/// The conformance suite: what every store must do the same, whatever its dialect.
/// A store's test target runs each check against it (see `StoreConformanceTests`);
/// a new store passes when every check does.
public enum StoreConformance {
    public static let checks: [ConformanceCheck] =
        LeadFixture.checks + SendLoopFailureFixture.checks + TrackingStoreFixture.checks
        + RecoveryReportEnrolmentFixture.checks + StageFixture.checks
        + WebhookFixture.checks + VariantFixture.checks + FunnelTimingFixture.checks + EndedMeanwhileFixture.checks
        + SuppressionFixture.checks + InboundFixture.checks + GuardFixture.checks
}

/// A project folder with one template and the campaign `drip`, and a new store for it:
/// what the send-loop, tracking and recovery checks start from.
struct DripProject {
    static let t0 = try! Date.ISO8601FormatStyle().parse("2030-01-07T10:00:00Z")

    let directory: TemporaryDirectory
    let store: any Store
    let catalog: CampaignCatalog

    /// `template` is the template's name with its part (`a.txt`, `a.html`).
    init(_ makeStore: StoreFactory, template: String, _ templateText: String, campaign: String) async throws {
        directory = try TemporaryDirectory()
        try directory.write("templates/\(template).mustache", templateText)
        try directory.write("campaigns/drip.yml", campaign)
        catalog = directory.loadCatalog()
        store = try await makeStore(directory)
    }

    /// The drip most checks start from: campaign `drip` from Acme for leads tagged `trial`,
    /// ending on `exitOn`, with `steps` (campaign-file step lines) sending template `a`.
    init(drip makeStore: StoreFactory, exitOn: [String] = [], steps: [String] = DripProject.twoSteps) async throws {
        let ending = exitOn.isEmpty ? "" : "exit_on: [\(exitOn.joined(separator: ", "))]\n"
        try await self.init(
            makeStore, template: "a.txt", "Hello {{first_name}}",
            campaign: """
                id: drip
                from: "Acme <hello@acme.example>"
                enroll: { tags: [trial] }
                \(ending)steps:
                \(steps.map { "  - \($0)" }.joined(separator: "\n"))
                """)
    }

    static let twoSteps = [
        "{ id: one, subject: One, template: a }", "{ id: two, wait: 1d, subject: Two, template: a }",
    ]

    /// The send loop over this project's store and `transport`, its wall clock at `t0`.
    func sendLoop(_ transport: any Transport) -> SendLoop {
        SendLoop(
            catalog: catalog, store: store, transport: transport, planner: DripPlanner(),
            unsubscribeURL: { _, _ in "https://t.example/u/x" }, wallClock: { Self.t0 })
    }
}

extension Store {
    /// A lead's total score under `rules` at `time`, from what the store recorded: the
    /// path `leads show`, `leads list` and the send loop take.
    func score(
        of address: String, rules: ScoreRules = ScoreRules(), at time: Date = DripProject.t0.addingTimeInterval(86_400)
    ) async throws -> Double? {
        guard let lead = try await lead(email: try EmailAddress(address)), let id = lead.id else { return nil }
        let evidence = try await scoreEvidence(leadIDs: [id], events: rules.scoredEvents)[id] ?? []
        return rules.score(of: lead, evidence: evidence, at: time).total
    }
}
