import Foundation
import NurtureCore
import Testing

/// The parts of the store contract the other suites do not reach: recovery after a dead
/// tick, the report's counts, goal events and enrolment, on each store.
struct RecoveryReportEnrolmentFixture {
    let project: DripProject
    var store: any Store { project.store }
    var catalog: CampaignCatalog { project.catalog }
    let t0 = DripProject.t0

    init(_ makeStore: StoreFactory) async throws {
        project = try await DripProject(
            makeStore, template: "a.html", "<p><a href=\"https://acme.example/x\">x</a></p>",
            campaign: """
                from: "Acme <hello@acme.example>"
                enroll: { tags: [trial], events: [signed_up] }
                exit_on: [purchased]
                steps:
                  - { id: one, subject: One, template: a }
                  - { id: two, wait: 1d, subject: Two, template: a }
                """)
    }

    func email(_ text: String) -> EmailAddress { try! EmailAddress(text) }

    func loop(_ transport: ScriptedTransport) -> SendLoop {
        var loop = project.sendLoop(transport)
        loop.linkRewriter = LinkRewriter(
            links: TrackingLinks(baseURL: "https://t.example", signer: LinkSigner(secret: "s")))
        return loop
    }

    /// A tick that died after handing one message over and before claiming another's
    /// fate: the next tick makes the handed-over one `unknown` (never resent) and sends
    /// the merely claimed one.
    func aDeadTicksMessagesAreInDoubtNeverResent() async throws {
        _ = try await store.upsertLeads(
            [
                LeadInput(email: email("ann@example.com"), tags: ["trial"]),
                LeadInput(email: email("bob@example.com"), tags: ["trial"]),
            ], now: t0)
        #expect(try await store.enroll(campaignID: "drip", rule: catalog.campaigns[0].enroll, now: t0) == 2)
        let due = try await store.dueEnrollments(now: t0, campaigns: ["drip"], limit: 10)
        #expect(due.count == 2)
        let claims = try await store.apply(
            due.map {
                EnrollmentChange(
                    enrollmentID: $0.snapshot.id, outcome: .claim(step: "one", messageID: "m\($0.snapshot.id)@x"))
            }, now: t0)
        #expect(claims.count == 2)
        #expect(
            try await store.apply(
                [EnrollmentChange(enrollmentID: due[0].snapshot.id, outcome: .claim(step: "one", messageID: "again"))],
                now: t0
            ).isEmpty,
            "a second claim of the same step is refused")
        let handedOver = try #require(claims.first { $0.enrollmentID == due[0].snapshot.id })
        #expect(try await store.markSending(handedOver, now: t0))
        // The process dies here.
        let transport = ScriptedTransport()
        let summary = try await loop(transport).tick(now: t0)
        #expect(summary.unknown == 1)
        #expect(
            transport.messages.map(\.recipient) == [due[1].lead.email.address], "only the merely claimed one is sent")
        let status = try await store.sendStatus(now: t0)
        #expect(status.unknown.map(\.email) == [due[0].lead.email.address])
        #expect(status.inFlight == 0)
        #expect(try await store.resolveUnknown(markSent: true, now: t0) == 1)
        #expect(try await store.sentCounts(campaignID: "drip") == ["one": 2])
    }

    /// A group admission checks each claim on its own: the one whose lead unsubscribed
    /// after the claim is refused, the others are admitted, in the commit that records
    /// the outcomes given with them.
    func aGroupAdmissionChecksEachClaim() async throws {
        let leads = ["ann", "bob", "cy"].map { LeadInput(email: email("\($0)@example.com"), tags: ["trial"]) }
        _ = try await store.upsertLeads(leads, now: t0)
        #expect(try await store.enroll(campaignID: "drip", rule: catalog.campaigns[0].enroll, now: t0) == 3)
        let due = try await store.dueEnrollments(now: t0, campaigns: ["drip"], limit: 10)
        let claims = try await store.apply(
            due.map {
                EnrollmentChange(
                    enrollmentID: $0.snapshot.id, outcome: .claim(step: "one", messageID: "m\($0.snapshot.id)@x"))
            }, now: t0)
        #expect(claims.count == 3)
        let bob = try #require(
            claims.first { claim in
                due.first { $0.snapshot.id == claim.enrollmentID }?.lead.email.address == "bob@example.com"
            })
        #expect(
            try await store.unsubscribe(enrollmentID: bob.enrollmentID, step: "one", now: t0)?.address
                == "bob@example.com")
        let verdicts = try await store.handOver(recording: [], admitting: claims, now: t0)
        #expect(verdicts == claims.map { $0.enrollmentID != bob.enrollmentID })
        #expect(
            try await store.handOver(recording: [], admitting: claims, now: t0) == [false, false, false],
            "a claim is admitted once")
    }

    /// Sends, opens, clicks, a goal event and an unsubscribe, counted the same by both stores.
    func theReportCountsWhatHappened() async throws {
        let leads = ["ann", "bob", "cy", "dee"].map { LeadInput(email: email("\($0)@example.com"), tags: ["trial"]) }
        _ = try await store.upsertLeads(leads, now: t0)
        let transport = ScriptedTransport()
        #expect(try await loop(transport).tick(now: t0).sent == 4)
        let links = TrackingLinks(baseURL: "https://t.example", signer: LinkSigner(secret: "s"))
        func tracked(_ recipient: String, _ path: String) throws -> TrackedLink {
            let message = try #require(transport.messages.first { $0.recipient == recipient })
            let data = message.data.replacingOccurrences(of: "=\r\n", with: "").replacingOccurrences(
                of: "=3D", with: "=")
            // The first link that is not the hidden decoy (which goes first in the body).
            let tokens = data.components(separatedBy: "https://t.example/\(path)/").dropFirst().map {
                String($0.prefix { $0 != "\"" })
            }
            return try #require(
                tokens.lazy.compactMap { token -> TrackedLink? in
                    if path == "o" { return links.open(token: token) }
                    if case .decoy = links.click(token: token) { return nil }
                    return links.click(token: token)
                }.first)
        }
        for (recipient, path, activityClass) in [
            ("ann@example.com", "o", ActivityClass.human), ("ann@example.com", "o", .human),
            ("bob@example.com", "c", .human), ("cy@example.com", "o", .machine),
        ] {
            let request = TrackingRequest(
                link: try tracked(recipient, path), at: t0.addingTimeInterval(60), userAgent: "UA", ip: "192.0.2.1")
            try await store.recordActivity(
                RecordedActivity(request: request, verdict: ActivityVerdict(activityClass, "test")), decoyReach: 60)
        }
        let converted = try await store.recordEvent(
            leads[1], name: "purchased", attributes: ["plan": "pro"], goalCampaigns: ["drip"],
            now: t0.addingTimeInterval(120))
        #expect(converted == ["drip"])
        let deeEnrollment = try #require(
            try await store.enrollments(campaignID: "drip").first { $0.lead.email.address == "dee@example.com" })
        #expect(
            try await store.unsubscribe(
                enrollmentID: deeEnrollment.snapshot.id, step: "one", now: t0.addingTimeInterval(180))?.address
                == "dee@example.com")

        let report = try await store.report(campaignID: "drip", stepOrder: ["one", "two"])
        #expect(report.enrolled == 4)
        #expect(report.active == 2)
        #expect(report.converted == 1)
        #expect(report.unsubscribed == 1)
        let one = report.steps[0]
        #expect(one.step == "one" && one.sent == 4)
        #expect(one.uniqueOpens == 1 && one.totalOpens == 2 && one.machineOpens == 1)
        #expect(one.uniqueClicks == 1 && one.totalClicks == 1)
        #expect(one.converted == 1 && one.unsubscribed == 1)
        #expect(report.steps[1].step == "two" && report.steps[1].sent == 0)
        // Over time: each sent message with what became of it.
        let sent = try await store.sentMessages(campaignID: "drip")
        #expect(sent.count == 4 && sent.allSatisfy { $0.step == "one" && $0.sentAt == t0 })
        #expect(
            sent.filter(\.opened).count == 1 && sent.filter(\.clicked).count == 1,
            "ann opened, bob clicked; cy's open was a machine's")
        #expect(
            sent.filter(\.unsubscribed).count == 1 && sent.filter(\.enrollmentConverted).count == 1,
            "dee unsubscribed, bob converted")
        // Per link: bob's click on the one link of step one.
        #expect(
            try await store.linkTallies(campaignID: "drip") == [
                LinkTally(
                    step: "one", position: 0, url: "https://acme.example/x", uniqueHumanClicks: 1, humanClicks: 1,
                    machineClicks: 0)
            ])
        // Scores: an open once per message (1), a click (3), the event's points (5).
        let rules = ScoreRules(events: ["purchased": 5])
        #expect(try await store.score(of: "ann@example.com", rules: rules) == 1)
        #expect(try await store.score(of: "bob@example.com", rules: rules) == 8)
        #expect(try await store.score(of: "cy@example.com", rules: rules) == 0)
        // Halving every day: two days after the open, ann's point is worth a quarter.
        #expect(
            try await store.score(
                of: "ann@example.com", rules: ScoreRules(halfLife: 86_400), at: t0.addingTimeInterval(60 + 2 * 86_400))
                == 0.3)
        // A replayed time before the activity does not see it.
        #expect(try await store.score(of: "bob@example.com", rules: rules, at: t0) == 0)
        let timeline = try #require(try await store.timeline(email: email("bob@example.com")))
        #expect(timeline.events.map(\.name) == ["purchased"])
        #expect(timeline.events.first?.attributes == ["plan": "pro"])
        #expect(timeline.enrollments.map(\.state) == ["converted"])
        let metrics = try await store.metrics(now: t0)
        #expect(metrics.messagesByState["sent"] == 4)
        #expect(metrics.linkUnsubscribes == 1)
        #expect(
            metrics.campaigns == ["drip": .init(sent: 4, opened: 1, clicked: 1, converted: 1)],
            "only people count; one lead converted")
    }

    /// A scanner gives itself away by following the hidden decoy link: its clicks around
    /// that moment become machine clicks (and the points they gave are taken back), and
    /// its later clicks are machine clicks from the start.
    func aDecoyHitUnmasksTheScannersClicks() async throws {
        _ = try await store.upsertLeads([LeadInput(email: email("ann@example.com"), tags: ["trial"])], now: t0)
        #expect(try await loop(ScriptedTransport()).tick(now: t0).sent == 1)
        let message = try #require(try await store.timeline(email: email("ann@example.com"))?.messages.first)
        #expect(message.state == .sent)
        // The message's row: the only one in this store.
        let messageRow = try #require(try await (1...10).asyncFirst { try await store.trackedMessage(row: $0) != nil })
        let classifier = ActivityClassifier(machineWindow: 0)
        func request(_ link: TrackedLink, ip: String, at seconds: TimeInterval) -> TrackingRequest {
            TrackingRequest(
                link: link, at: t0.addingTimeInterval(seconds),
                userAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0", ip: ip)
        }
        let click = TrackedLink.click(messageRow: messageRow, link: 0, url: "https://acme.example/x")
        #expect(
            try await store.track(request(click, ip: "192.0.2.1", at: 600), classifier: classifier, decoyReach: 30)?
                .activityClass == .human)
        #expect(
            try await store.track(request(click, ip: "192.0.2.2", at: 610), classifier: classifier, decoyReach: 30)?
                .activityClass == .human)
        #expect(try await store.score(of: "ann@example.com") == 3, "a message's clicks score once")
        // The scanner at .1 follows the decoy 20 s after its click: that click is unmasked,
        // and .2's human click still holds the points.
        #expect(
            try await store.track(
                request(.decoy(messageRow: messageRow), ip: "192.0.2.1", at: 620), classifier: classifier,
                decoyReach: 30)?.activityClass == .machine)
        #expect(try await store.score(of: "ann@example.com") == 3)
        // Its next click, within reach of the decoy, is a machine's from the start.
        #expect(
            try await store.track(request(click, ip: "192.0.2.1", at: 640), classifier: classifier, decoyReach: 30)?
                .activityClass == .machine)
        // .2 turns out to be a scanner too: no human click is left, and the points go.
        _ = try await store.track(
            request(.decoy(messageRow: messageRow), ip: "192.0.2.2", at: 615), classifier: classifier, decoyReach: 30)
        #expect(try await store.score(of: "ann@example.com") == 0)
        let report = try await store.report(campaignID: "drip", stepOrder: ["one", "two"])
        #expect(report.steps[0].uniqueClicks == 0)
        #expect(report.steps[0].machineClicks == 5, "three clicks and two decoy hits, all machine")
        #expect(
            try await store.linkTallies(campaignID: "drip") == [
                LinkTally(
                    step: "one", position: 0, url: "https://acme.example/x", uniqueHumanClicks: 0, humanClicks: 0,
                    machineClicks: 3)
            ],
            "the decoy is no link of the message")
        let activity = try #require(try await store.timeline(email: email("ann@example.com"))).activity
        #expect(activity.filter { $0.reason == TrackingOutcome.unmaskReason }.count == 3)
    }

    /// A batch is classified in order, each request seeing those before it, as one by
    /// one: the decoy hit unmasks the click before it and makes the next a machine's; a
    /// request for a message that is gone is answered nil and stores nothing.
    func aBatchIsTrackedInOrderAsOneByOne() async throws {
        _ = try await store.upsertLeads([LeadInput(email: email("ann@example.com"), tags: ["trial"])], now: t0)
        #expect(try await loop(ScriptedTransport()).tick(now: t0).sent == 1)
        let messageRow = try #require(try await (1...10).asyncFirst { try await store.trackedMessage(row: $0) != nil })
        func request(_ link: TrackedLink, ip: String, at seconds: TimeInterval) -> TrackingRequest {
            TrackingRequest(
                link: link, at: t0.addingTimeInterval(seconds),
                userAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0", ip: ip)
        }
        let click = TrackedLink.click(messageRow: messageRow, link: 0, url: "https://acme.example/x")
        let verdicts = try await store.track(
            [
                request(click, ip: "192.0.2.1", at: 600),
                request(.open(messageRow: messageRow + 1000), ip: "192.0.2.1", at: 605),
                request(click, ip: "192.0.2.2", at: 610),
                request(.decoy(messageRow: messageRow), ip: "192.0.2.1", at: 620),
                request(click, ip: "192.0.2.1", at: 640),
            ], classifier: ActivityClassifier(machineWindow: 0), decoyReach: 30)
        #expect(verdicts.map { $0?.activityClass } == [.human, nil, .human, .machine, .machine])
        #expect(try await store.score(of: "ann@example.com") == 3, ".2's click still holds the points")
        let activity = try #require(try await store.timeline(email: email("ann@example.com"))).activity
        #expect(activity.count == 4, "the request for a message that is gone stores nothing")
        #expect(
            activity.filter { $0.reason == TrackingOutcome.unmaskReason }.count == 2,
            "the click before the decoy hit, and the one after")
        #expect(try await store.track([], classifier: ActivityClassifier(), decoyReach: 30).isEmpty)
    }

    /// Enrolment reads tags and events added since its last pass, never twice, and an
    /// event recorded with a time after the tick's clock waits for a tick at that time.
    func enrolmentReadsWhatIsNewOnce() async throws {
        let rule = catalog.campaigns[0].enroll
        _ = try await store.upsertLeads([LeadInput(email: email("ann@example.com"), tags: ["trial"])], now: t0)
        #expect(try await store.enroll(campaignID: "drip", rule: rule, now: t0) == 1)
        #expect(try await store.enroll(campaignID: "drip", rule: rule, now: t0) == 0)
        _ = try await store.recordEvent(
            LeadInput(email: email("bob@example.com")), name: "signed_up", attributes: [:], goalCampaigns: [],
            now: t0.addingTimeInterval(3600))
        #expect(try await store.enroll(campaignID: "drip", rule: rule, now: t0) == 0, "an event from the future waits")
        _ = try await store.upsertLeads([LeadInput(email: email("cy@example.com"), tags: ["trial"])], now: t0)
        #expect(try await store.enroll(campaignID: "drip", rule: rule, now: t0) == 1)
        #expect(
            try await store.enroll(campaignID: "drip", rule: rule, now: t0.addingTimeInterval(3600)) == 1,
            "bob, at his event's time")
        _ = try await store.setStatus(.unsubscribed, email: email("dee@example.com"), now: t0)
        _ = try await store.upsertLeads([LeadInput(email: email("ann@example.com"), tags: ["vip"])], now: t0)
        #expect(try await store.enroll(campaignID: "drip", rule: rule, now: t0.addingTimeInterval(3600)) == 0)
        // A tag the rule does not name enrols no one, until the rule names it: a changed
        // rule reads everything again, once.
        _ = try await store.upsertLeads([LeadInput(email: email("eve@example.com"), tags: ["vip"])], now: t0)
        #expect(try await store.enroll(campaignID: "drip", rule: rule, now: t0.addingTimeInterval(3600)) == 0)
        let widened = EnrollmentRule(tags: ["vip", "trial"], events: rule.events)
        #expect(try await store.enroll(campaignID: "drip", rule: widened, now: t0.addingTimeInterval(3600)) == 1, "eve")
        #expect(try await store.enroll(campaignID: "drip", rule: widened, now: t0.addingTimeInterval(3600)) == 0)
        #expect(
            widened.fingerprint == EnrollmentRule(tags: ["trial", "vip"], events: rule.events).fingerprint,
            "the order does not matter")
        #expect(try await store.countDue(now: t0.addingTimeInterval(3600), campaigns: nil) == 4)
        #expect(try await store.countDue(now: t0.addingTimeInterval(3600), campaigns: ["other"]) == 0)
        // A changed fingerprint makes every active enrolment due again at `now`.
        #expect(try await store.refreshIfChanged(campaignID: "drip", fingerprint: "a", now: t0) == 0)
        #expect(try await store.refreshIfChanged(campaignID: "drip", fingerprint: "b", now: t0) == 4)
        #expect(try await store.refreshIfChanged(campaignID: "drip", fingerprint: "b", now: t0) == 0)
    }
}

extension RecoveryReportEnrolmentFixture {
    static let checks = [
        ConformanceCheck("a dead tick's messages are in doubt, never resent") {
            try await RecoveryReportEnrolmentFixture($0).aDeadTicksMessagesAreInDoubtNeverResent()
        },
        ConformanceCheck("a group admission checks each claim on its own") {
            try await RecoveryReportEnrolmentFixture($0).aGroupAdmissionChecksEachClaim()
        },
        ConformanceCheck("the report counts what happened") {
            try await RecoveryReportEnrolmentFixture($0).theReportCountsWhatHappened()
        },
        ConformanceCheck("a decoy hit unmasks the scanner's clicks") {
            try await RecoveryReportEnrolmentFixture($0).aDecoyHitUnmasksTheScannersClicks()
        },
        ConformanceCheck("a batch is tracked in order as one by one") {
            try await RecoveryReportEnrolmentFixture($0).aBatchIsTrackedInOrderAsOneByOne()
        },
        ConformanceCheck("enrolment reads what is new, once") {
            try await RecoveryReportEnrolmentFixture($0).enrolmentReadsWhatIsNewOnce()
        },
    ]
}

extension Sequence {
    /// The first element for which an async predicate holds.
    func asyncFirst(where predicate: (Element) async throws -> Bool) async rethrows -> Element? {
        for element in self where try await predicate(element) { return element }
        return nil
    }
}
