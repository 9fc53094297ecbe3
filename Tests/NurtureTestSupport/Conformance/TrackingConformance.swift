import Foundation
import NurtureCore
import Testing

/// Opens and clicks in a store: what counts for conditions, scores and rates.
struct TrackingStoreFixture {
    let project: DripProject
    var store: any Store { project.store }
    var catalog: CampaignCatalog { project.catalog }
    let t0 = DripProject.t0

    init(_ makeStore: StoreFactory) async throws {
        project = try await DripProject(
            makeStore, template: "a.html", "<p><a href=\"https://acme.example/x\">x</a></p>",
            campaign: """
                from: "Acme <hello@acme.example>"
                enroll: { tags: [trial] }
                steps:
                  - { id: one, subject: One, template: a }
                  - { id: two, wait: 1d, subject: Two, template: a, if: { opened: one } }
                """)
    }

    /// Sends step one to the leads; returns the transport, whose messages carry the tracked links.
    func sendFirstStep(_ emails: String...) async throws -> ScriptedTransport {
        _ = try await store.upsertLeads(
            emails.map { LeadInput(email: try! EmailAddress($0), tags: ["trial"]) }, now: t0)
        let transport = ScriptedTransport([])
        var loop = project.sendLoop(transport)
        loop.linkRewriter = LinkRewriter(links: links)
        #expect(try await loop.tick(now: t0).sent == emails.count)
        return transport
    }

    let links = TrackingLinks(baseURL: "https://t.example", signer: LinkSigner(secret: "s"))

    func openLink(in message: OutgoingMessage) throws -> TrackedLink {
        let data = message.data.replacingOccurrences(of: "=\r\n", with: "").replacingOccurrences(of: "=3D", with: "=")
        let token = try #require(
            data.components(separatedBy: "https://t.example/o/").dropFirst().first?.prefix { $0 != "\"" })
        return try #require(links.open(token: String(token)))
    }

    func record(_ link: TrackedLink, _ activityClass: ActivityClass, at seconds: TimeInterval = 60) async throws {
        let request = TrackingRequest(link: link, at: t0.addingTimeInterval(seconds), userAgent: "UA", ip: "192.0.2.1")
        try await store.recordActivity(
            RecordedActivity(request: request, verdict: ActivityVerdict(activityClass, "test")), decoyReach: 60)
    }

    func onlyHumanOpensSatisfyConditionsAndScoreOncePerMessage() async throws {
        let transport = try await sendFirstStep("ann@example.com", "bob@example.com")
        let byRecipient = Dictionary(uniqueKeysWithValues: transport.messages.map { ($0.recipient, $0) })
        let annOpen = try openLink(in: try #require(byRecipient["ann@example.com"]))
        let bobOpen = try openLink(in: try #require(byRecipient["bob@example.com"]))
        #expect(
            try await store.trackedMessage(row: annOpen.messageRow)?.deliveredAt == t0,
            "the wall clock of delivery is kept")

        try await record(annOpen, .human)
        try await record(annOpen, .human, at: 120)
        try await record(bobOpen, .machine)
        try await record(bobOpen, .unknown)
        #expect(try await store.score(of: "ann@example.com") == 1, "once per message")
        #expect(try await store.score(of: "bob@example.com") == 0)

        let history = try await store.enrollments(campaignID: "drip")
        let opened = Dictionary(uniqueKeysWithValues: history.map { ($0.lead.email.address, $0.snapshot.opened) })
        #expect(opened["ann@example.com"] == ["one"])
        #expect(opened["bob@example.com"] == [])

        let report = try await store.report(campaignID: "drip", stepOrder: ["one", "two"])
        #expect(report.steps[0].uniqueOpens == 1)
        #expect(report.steps[0].totalOpens == 2)
        #expect(report.steps[0].machineOpens == 2)
        #expect(report.steps[0].openRate == 0.5)
        let metrics = try await store.metrics(now: t0)
        #expect(metrics.activity[.open]?[.human] == 2)
        #expect(metrics.activity[.open]?[.unknown] == 1)
    }

    func aTrackingURLForAMessageThatIsGoneIsIgnored() async throws {
        #expect(try await store.trackedMessage(row: 999) == nil)
    }
}

/// Tracking on each store.
extension TrackingStoreFixture {
    static let checks = [
        ConformanceCheck("only human opens satisfy conditions and score once per message") {
            try await TrackingStoreFixture($0).onlyHumanOpensSatisfyConditionsAndScoreOncePerMessage()
        },
        ConformanceCheck("a tracking URL for a message that is gone is ignored") {
            try await TrackingStoreFixture($0).aTrackingURLForAMessageThatIsGoneIsIgnored()
        },
    ]
}
