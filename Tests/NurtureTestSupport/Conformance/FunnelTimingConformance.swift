import Foundation
import NurtureCore
import Testing

/// Issue 36: the qualify → nurture → convert hand-off on the tick's clock. A lead that
/// met a campaign's goal is not enrolled by it; a goal dated ahead converts at the first
/// tick at or after it; stages are checked at the clock that asks and dated by the
/// evidence that made them hold.
struct FunnelTimingFixture {
    let directory: TemporaryDirectory
    let store: any Store
    let catalog: CampaignCatalog
    let t0 = DripProject.t0

    /// The trial's funnel: `mql` on a webinar, `sql` on a booked demo; `fast` enrols on
    /// mql and ends on a booked demo; `again` is the same with `reenroll: true`;
    /// `trial` is a tag-enrolled drip with a week between its steps that ends on purchase.
    init(_ makeStore: StoreFactory) async throws {
        directory = try TemporaryDirectory()
        try directory.write("templates/a.txt.mustache", "Hello {{first_name}}")
        try directory.write(
            "campaigns/fast.yml",
            """
            from: "Acme <hello@acme.example>"
            defaults: { first_name: there }
            enroll: { events: [mql] }
            exit_on: [demo_booked]
            steps:
              - { id: nudge, subject: "Want to book a demo?", template: a }
            """)
        try directory.write(
            "campaigns/again.yml",
            """
            from: "Acme <hello@acme.example>"
            defaults: { first_name: there }
            enroll: { events: [mql] }
            exit_on: [demo_booked]
            reenroll: true
            steps:
              - { id: nudge, subject: "Webinar recording", template: a }
            """)
        try directory.write(
            "campaigns/trial.yml",
            """
            from: "Acme <hello@acme.example>"
            defaults: { first_name: there }
            enroll: { tags: [trial] }
            exit_on: [purchased]
            steps:
              - { id: one, subject: One, template: a }
              - { id: two, wait: 7d, subject: Two, template: a }
            """)
        catalog = directory.loadCatalog()
        store = try await makeStore(directory)
    }

    static let stageRules = StageRules([
        Stage(id: "mql", when: .event("webinar_attended")), Stage(id: "sql", when: .event("demo_booked")),
    ])

    var keeper: StageKeeper {
        StageKeeper(store: store, rules: Self.stageRules, scoreRules: ScoreRules(), catalog: catalog)
    }

    func loop(_ transport: ScriptedTransport) -> SendLoop {
        var loop = SendLoop(
            catalog: catalog, store: store, transport: transport, planner: DripPlanner(),
            unsubscribeURL: { _, _ in "https://t.example/u/x" },
            wallClock: { [t0] in t0 })
        loop.stageRules = Self.stageRules
        return loop
    }

    func email(_ text: String) -> EmailAddress { try! EmailAddress(text) }

    func event(_ address: String, _ name: String, at time: Date) async throws {
        _ = try await store.recordEvent(
            LeadInput(email: email(address)), name: name, attributes: [:], goalCampaigns: [], now: time)
    }

    func enrollments(_ address: String) async throws -> [String: String] {
        let timeline = try #require(try await store.timeline(email: email(address)))
        return Dictionary(
            timeline.enrollments.map { ($0.campaignID, $0.state) }, uniquingKeysWith: { first, _ in first })
    }

    func aLeadThatMetTheGoalIsNotEnrolled() async throws {
        // Lee books a demo: that enters mql and sql at once. Ann only attends the webinar.
        try await event("lee@buyer.example", "demo_booked", at: t0)
        try await event("ann@buyer.example", "webinar_attended", at: t0)
        _ = try await keeper.run(now: t0)
        let transport = ScriptedTransport()
        let tick = try await loop(transport).tick(now: t0.addingTimeInterval(60))
        #expect(
            transport.messages.filter { $0.subject == "Want to book a demo?" }.map(\.recipient) == [
                "ann@buyer.example"
            ],
            "Lee booked a demo: no nudge to book one")
        #expect(
            try await enrollments("lee@buyer.example") == ["again": "completed"], "reenroll: true takes Lee in anyway")
        #expect(try await enrollments("ann@buyer.example") == ["fast": "completed", "again": "completed"])
        #expect(tick.enrolled == 3)
        // What `plan` reports: Lee, kept out of `fast`; nobody of `again`.
        let fast = try #require(catalog.campaign("fast"))
        let again = try #require(catalog.campaign("again"))
        #expect(
            try await store.countKeptOut(
                campaignID: "fast", rule: fast.enrollment(stages: Self.stageRules), now: t0.addingTimeInterval(60)) == 1
        )
        #expect(
            try await store.countKeptOut(
                campaignID: "again", rule: again.enrollment(stages: Self.stageRules), now: t0.addingTimeInterval(60))
                == 0)
    }

    func aGoalDatedAheadConvertsAtTheFirstTickAtOrAfterIt() async throws {
        _ = try await store.upsertLeads([LeadInput(email: email("bo@buyer.example"), tags: ["trial"])], now: t0)
        let transport = ScriptedTransport()
        #expect(try await loop(transport).tick(now: t0).sent == 1)
        // A purchase planned for two days on (a CRM backfill): not yet a conversion.
        let purchase = t0.addingTimeInterval(2 * 86_400)
        try await event("bo@buyer.example", "purchased", at: purchase)
        #expect(try await loop(transport).tick(now: t0.addingTimeInterval(86_400)).converted == 0)
        #expect(try await enrollments("bo@buyer.example") == ["trial": "active"])
        // The first tick after it converts, long before step two is due, dated by the event.
        #expect(try await loop(transport).tick(now: purchase.addingTimeInterval(3600)).converted == 1)
        let timeline = try #require(try await store.timeline(email: email("bo@buyer.example")))
        #expect(timeline.enrollments.map(\.state) == ["converted"])
        #expect(timeline.enrollments.first?.endedAt == purchase)
        #expect(transport.messages.count == 1)
    }

    func stageEvents(_ address: String) async throws -> [String: Date] {
        let timeline = try #require(try await store.timeline(email: email(address)))
        return Dictionary(
            timeline.events.filter { ["mql", "sql"].contains($0.name) }.map { ($0.name, $0.at) },
            uniquingKeysWith: { first, _ in first })
    }

    func stagesAreCheckedAtTheClockThatAsksAndDatedByTheirEvidence() async throws {
        // `event --at` a month ahead, checked at once by the wall clock: not yet.
        let demo = t0.addingTimeInterval(30 * 86_400)
        try await event("lee@buyer.example", "demo_booked", at: demo)
        #expect(try await keeper.run(now: t0).isEmpty)
        #expect(try await store.stageCounts() == [:])
        // A replayed tick three hours after the demo sees it: both stages, dated by the
        // event, not by the tick, with their events (what webhooks and reports read).
        let tick = try await loop(ScriptedTransport()).tick(now: demo.addingTimeInterval(3 * 3600))
        #expect(tick.staged == 2)
        #expect(try await store.stageCounts() == ["mql": 1, "sql": 1])
        #expect(try await stageEvents("lee@buyer.example") == ["mql": demo, "sql": demo])
        // A webinar a day ago, checked now: entered when it happened.
        let webinar = demo.addingTimeInterval(-86_400)
        try await event("ann@buyer.example", "webinar_attended", at: webinar)
        let entered = try await keeper.run(now: demo.addingTimeInterval(4 * 3600))
        #expect(entered.map(\.stage) == ["mql"])
        #expect(entered.map(\.at) == [webinar])
        #expect(try await stageEvents("ann@buyer.example") == ["mql": webinar])
        // `fast` enrols on mql: Ann gets the nudge, Lee (past its goal) does not.
        let transport = ScriptedTransport()
        _ = try await loop(transport).tick(now: demo.addingTimeInterval(5 * 3600))
        #expect(
            transport.messages.filter { $0.subject == "Want to book a demo?" }.map(\.recipient) == ["ann@buyer.example"]
        )
    }

    /// Issue 36.6: "Three tips for " with no company never goes out. The message is held
    /// (not sent, not skipped), says why, and goes once the lead has the variable.
    func aMessageWithAHoleIsHeldUntilTheLeadHasTheVariable() async throws {
        // A missing first name renders empty (names are optional); a missing company holds.
        try directory.write(
            "templates/tips.txt.mustache",
            "Hi {{first_name}}, teams like {{company}} do well.{{#plan}} On {{plan}}.{{/plan}}")
        try directory.write(
            "campaigns/trial.yml",
            """
            from: "Acme <hello@acme.example>"
            enroll: { tags: [trial] }
            steps:
              - { id: tips, subject: "Three tips for {{company}}", template: tips }
              - { id: later, wait: 1d, subject: "Hi {{first_name}}", template: a, defaults: { first_name: there } }
            """)
        let catalog = directory.loadCatalog()
        #expect(catalog.diagnostics.errors.isEmpty, "\(catalog.diagnostics.errors)")
        _ = try await store.upsertLeads(
            [
                LeadInput(email: email("kim@buyer.example"), tags: ["trial"]),
                LeadInput(email: email("lou@buyer.example"), tags: ["trial"], attributes: ["company": "Lou & Co"]),
            ], now: t0)
        var loop = loop(ScriptedTransport())
        loop.catalog = catalog
        let transport = ScriptedTransport()
        loop.transport = transport
        let tick = try await loop.tick(now: t0)
        #expect(tick.held == 1 && tick.heldVariables == ["company"])
        #expect(
            transport.messages.map(\.subject) == ["Three tips for Lou & Co"],
            "the plan section is conditional: no hold for it")
        let status = try await store.sendStatus(now: t0)
        #expect(status.heldCount == 1)
        #expect(status.held.map(\.email) == ["kim@buyer.example"])
        #expect(status.held.first?.reason?.contains("'company'") == true, "\(status.held)")
        let timeline = try #require(try await store.timeline(email: email("kim@buyer.example")))
        #expect(timeline.enrollments.first?.heldReason?.contains("'company'") == true)
        #expect(timeline.messages.isEmpty, "nothing recorded for the step: not sent, not skipped")
        let report = try await store.report(campaignID: "trial", stepOrder: ["tips", "later"])
        #expect(report.held.map(\.step) == ["tips"] && report.held.map(\.leads) == [1], "\(report.held)")
        #expect(report.heldLines.first?.contains("'company'") == true && report.summary.hasSuffix(", 1 held"))
        // Kim's company arrives (an import); the next look sends the step, and the hold is gone.
        _ = try await store.upsertLeads(
            [LeadInput(email: email("kim@buyer.example"), attributes: ["company": "Kim Inc"])], now: t0)
        let later = try await loop.tick(now: t0.addingTimeInterval(2 * 3600))
        #expect(later.held == 0 && later.sent == 1)
        #expect(transport.messages.map(\.subject).last == "Three tips for Kim Inc")
        #expect(try await store.sendStatus(now: t0).heldCount == 0)
        // A default covers a missing first name: nobody is held for it.
        let third = try await loop.tick(now: t0.addingTimeInterval(2 * 86_400))
        #expect(third.held == 0 && third.sent == 2)
        #expect(transport.messages.suffix(2).map(\.subject) == ["Hi there", "Hi there"])
    }

    /// Issue 36.8 on the store: an unsubscribe through this campaign's link counts on its
    /// step, one through another way while the drip is live on `(no step)`, and a
    /// conversion before any mail there too; the campaign's totals are the rows' sums.
    func reportTotalsAreTheSumsOfTheirRows() async throws {
        _ = try await store.upsertLeads(
            ["ann", "bob", "cy", "dee"].map { LeadInput(email: email("\($0)@buyer.example"), tags: ["trial"]) }, now: t0
        )
        let transport = ScriptedTransport()
        let loop = loop(transport)
        // A limit leaves Dee (enrolled last) unmailed; she buys: a conversion before any mail.
        #expect(try await loop.tick(now: t0, limit: 3).sent == 3)
        #expect(!transport.messages.contains { $0.recipient == "dee@buyer.example" })
        _ = try await store.recordEvent(
            LeadInput(email: email("dee@buyer.example")), name: "purchased", attributes: [:], goalCampaigns: ["trial"],
            now: t0.addingTimeInterval(30))
        let enrollment = try #require(
            try await store.enrollments(campaignID: "trial").first { $0.lead.email.address == "ann@buyer.example" }?
                .snapshot.id)
        _ = try await store.unsubscribe(enrollmentID: enrollment, step: "one", now: t0.addingTimeInterval(60))
        _ = try await store.setStatus(.unsubscribed, email: email("bob@buyer.example"), now: t0.addingTimeInterval(60))
        _ = try await loop.tick(now: t0.addingTimeInterval(120))
        let report = try await store.report(campaignID: "trial", stepOrder: ["one", "two"])
        #expect(report.steps.map(\.step) == ["one", "two", CampaignReport.noStep])
        #expect(report.steps.map(\.unsubscribed) == [1, 0, 1], "\(report.steps)")
        #expect(report.steps.map(\.converted) == [0, 0, 1])
        #expect(report.unsubscribed == 2 && report.converted == 1)
    }
}

extension FunnelTimingFixture {
    static let checks = [
        ConformanceCheck("report totals are the sums of their rows") {
            try await FunnelTimingFixture($0).reportTotalsAreTheSumsOfTheirRows()
        },
        ConformanceCheck("a message with a hole is held until the lead has the variable") {
            try await FunnelTimingFixture($0).aMessageWithAHoleIsHeldUntilTheLeadHasTheVariable()
        },
        ConformanceCheck("stages are checked at the clock that asks and dated by their evidence") {
            try await FunnelTimingFixture($0).stagesAreCheckedAtTheClockThatAsksAndDatedByTheirEvidence()
        },
        ConformanceCheck("a lead that met a campaign's goal is not enrolled by it") {
            try await FunnelTimingFixture($0).aLeadThatMetTheGoalIsNotEnrolled()
        },
        ConformanceCheck("a goal dated ahead converts at the first tick at or after it") {
            try await FunnelTimingFixture($0).aGoalDatedAheadConvertsAtTheFirstTickAtOrAfterIt()
        },
    ]
}
