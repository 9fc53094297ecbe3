import Foundation
import NurtureCore
import Testing

/// Lifecycle stages in a store: the check queue its triggers fill, entries recorded once
/// with their event, goal campaigns ended, forward only.
struct StageFixture {
    let project: DripProject
    var store: any Store { project.store }
    let t0 = DripProject.t0

    init(_ makeStore: StoreFactory) async throws {
        project = try await DripProject(
            makeStore, template: "a.html", "<p><a href=\"https://acme.example/x\">x</a></p>",
            campaign: """
                from: "Acme <hello@acme.example>"
                enroll: { tags: [trial] }
                exit_on: [sql]
                steps:
                  - { id: one, subject: One, template: a }
                  - { id: two, wait: 1d, subject: Two, template: a }
                """)
    }

    func email(_ text: String) -> EmailAddress { try! EmailAddress(text) }

    var keeper: StageKeeper {
        StageKeeper(
            store: store,
            rules: StageRules([
                Stage(id: "mql", when: .fitAtLeast(20)), Stage(id: "sql", when: .event("sales_accepted")),
            ]),
            scoreRules: ScoreRules(fit: [FitRule(attribute: "employees", test: .atLeast(200), points: 20)]),
            catalog: project.catalog)
    }

    func stages(_ address: String) async throws -> Set<String> {
        let id = try #require(try await store.lead(email: email(address))?.id)
        return try await store.stages(ofLeads: [id])[id] ?? []
    }

    func queued() async throws -> [String] { try await store.queuedStageChecks(limit: 100).map(\.lead.email.address) }

    func stagesMoveForwardOnceAndRecordTheirEvent() async throws {
        _ = try await store.upsertLeads(
            [
                LeadInput(email: email("ann@acme.example"), tags: ["trial"], attributes: ["employees": "500"]),
                LeadInput(email: email("bob@acme.example"), tags: ["trial"]),
            ], now: t0)
        #expect(try await queued().isEmpty, "nothing is queued while no stages are configured")
        let transport = ScriptedTransport()
        let loop = project.sendLoop(transport)
        #expect(try await loop.tick(now: t0).sent == 2)

        // Turning stages on checks every lead once: ann's fit makes her an mql.
        #expect(
            try await keeper.run(now: t0.addingTimeInterval(60)) == [
                StageEntry(
                    leadID: try #require(try await store.lead(email: email("ann@acme.example"))?.id), stage: "mql",
                    at: t0.addingTimeInterval(60))
            ], "a fit has no date: entered when the check saw it")
        #expect(try await stages("ann@acme.example") == ["mql"])
        #expect(try await stages("bob@acme.example") == [])
        #expect(try await queued().isEmpty)
        #expect(try await keeper.run(now: t0.addingTimeInterval(120)).isEmpty, "nothing new: nothing entered twice")
        #expect(
            try await store.timeline(email: email("ann@acme.example"))?.events.map(\.name) == ["mql"],
            "one event per stage entered")

        // An event queues the lead in its own transaction; the next check moves it on and
        // ends the drip whose goal the stage is.
        _ = try await store.recordEvent(
            LeadInput(email: email("ann@acme.example")), name: "sales_accepted", attributes: [:], goalCampaigns: [],
            now: t0.addingTimeInterval(180))
        #expect(try await queued() == ["ann@acme.example"])
        #expect(try await keeper.run(now: t0.addingTimeInterval(240)).map(\.stage) == ["sql"])
        #expect(try await store.timeline(email: email("ann@acme.example"))?.enrollments.map(\.state) == ["converted"])
        // Bob jumps past mql: he enters both, so every stage counts everyone who got that far.
        _ = try await store.recordEvent(
            LeadInput(email: email("bob@acme.example")), name: "sales_accepted", attributes: [:], goalCampaigns: [],
            now: t0.addingTimeInterval(300))
        #expect(try await keeper.run(now: t0.addingTimeInterval(360)).map(\.stage) == ["mql", "sql"])
        #expect(try await store.stageCounts() == ["mql": 2, "sql": 2])
        #expect(
            try await store.leads(matching: LeadFilter(stages: ["sql"]), after: 0, limit: 10).map(\.email.address) == [
                "ann@acme.example", "bob@acme.example",
            ])

        // Forward only: ann's fit falling away leaves her where she is.
        _ = try await store.upsertLeads(
            [LeadInput(email: email("ann@acme.example"), attributes: ["employees": "5"])],
            now: t0.addingTimeInterval(400))
        #expect(try await queued() == ["ann@acme.example"], "a field change queues the lead")
        #expect(try await keeper.run(now: t0.addingTimeInterval(420)).isEmpty)
        #expect(try await stages("ann@acme.example") == ["mql", "sql"])
    }

    func personsOpensQueueTheLeadAndMachinesDoNot() async throws {
        _ = try await store.upsertLeads([LeadInput(email: email("ann@acme.example"), tags: ["trial"])], now: t0)
        let transport = ScriptedTransport()
        var loop = project.sendLoop(transport)
        loop.linkRewriter = LinkRewriter(
            links: TrackingLinks(baseURL: "https://t.example", signer: LinkSigner(secret: "s")))
        #expect(try await loop.tick(now: t0).sent == 1)
        _ = try await keeper.run(now: t0)
        #expect(try await queued().isEmpty)
        let messageRow = try #require(try await (1...10).asyncFirst { try await store.trackedMessage(row: $0) != nil })
        func open(_ activityClass: ActivityClass) async throws {
            let request = TrackingRequest(
                link: .open(messageRow: messageRow), at: t0.addingTimeInterval(60), userAgent: "UA", ip: "192.0.2.1")
            try await store.recordActivity(
                RecordedActivity(request: request, verdict: ActivityVerdict(activityClass, "test")), decoyReach: 60)
        }
        try await open(.machine)
        #expect(try await queued().isEmpty, "a machine's open says nothing about the lead")
        try await open(.human)
        #expect(try await queued() == ["ann@acme.example"])
        // Turning stages off stops the queue and empties it.
        #expect(try await store.prepareStageChecks(fingerprint: nil) == 0)
        #expect(try await queued().isEmpty)
        try await open(.human)
        #expect(try await queued().isEmpty)
    }
}

extension StageFixture {
    static let checks = [
        ConformanceCheck("stages move forward once and record their event") {
            try await StageFixture($0).stagesMoveForwardOnceAndRecordTheirEvent()
        },
        ConformanceCheck("a person's open queues a stage check, a machine's does not") {
            try await StageFixture($0).personsOpensQueueTheLeadAndMachinesDoNot()
        },
    ]
}
