import Foundation
import NurtureCore
import Testing

/// The tick against a store, with a transport that fails on cue.
struct SendLoopFailureFixture {
    let project: DripProject
    var store: any Store { project.store }
    var catalog: CampaignCatalog { project.catalog }
    let t0 = DripProject.t0

    init(_ makeStore: StoreFactory) async throws {
        project = try await DripProject(
            makeStore, template: "a.txt", "Hello {{first_name}}",
            campaign: """
                from: "Acme <hello@acme.example>"
                enroll: { tags: [trial] }
                steps:
                  - { id: one, subject: One, template: a }
                  - { id: two, wait: 1d, subject: Two, template: a }
                """)
    }

    func addLeads(_ emails: String...) async throws {
        _ = try await store.upsertLeads(
            emails.map { LeadInput(email: try! EmailAddress($0), tags: ["trial"]) }, now: t0)
    }

    func transientFailureIsRetriedWithBackoffAndSentOnce() async throws {
        try await addLeads("ann@example.com")
        let transport = ScriptedTransport([.transient("451 try later")])
        let first = try await project.sendLoop(transport).tick(now: t0)
        #expect(first.sent == 0 && first.retrying == 1)
        #expect(try await store.sendStatus(now: t0).deferred.count == 1)
        // Backoff: not yet after one minute, yes after five.
        #expect(try await project.sendLoop(transport).tick(now: t0.addingTimeInterval(60)).sent == 0)
        let retried = try await project.sendLoop(transport).tick(now: t0.addingTimeInterval(300))
        #expect(retried.sent == 1)
        #expect(transport.messages.count == 2)
        #expect(
            transport.messages[0].messageID == transport.messages[1].messageID, "a retry carries the same Message-ID")
        #expect(try await project.sendLoop(transport).tick(now: t0.addingTimeInterval(600)).sent == 0)
    }

    /// Issue 41.3: a message that never reached the server (queued behind a 421) waits
    /// and is tried later, however often that happens, without using up its retries.
    func untriedMessagesAreNeverChargedAnAttempt() async throws {
        try await addLeads("ann@example.com")
        let transport = ScriptedTransport(otherwise: .untried("not tried: the server asked to slow down"))
        var now = t0
        // Twice the retry limit of ticks, each stopped before this message was tried.
        for _ in 0..<(RetryPolicy().maxAttempts * 2) {
            let tick = try await project.sendLoop(transport).tick(now: now)
            #expect(tick.failed == 0 && tick.sent == 0)
            now = now.addingTimeInterval(7 * 3600)
        }
        #expect(try await store.sendStatus(now: now).deferred.map(\.email) == ["ann@example.com"])
        // The first tick that reaches the server sends it, once; then it is a normal retry.
        transport.setScript([.transient("451 try later")])
        #expect(try await project.sendLoop(transport).tick(now: now).retrying == 1)
        transport.setScript([], otherwise: .delivered)
        let sent = try await project.sendLoop(transport).tick(now: now.addingTimeInterval(300))
        #expect(sent.sent == 1 && sent.failed == 0)
        #expect(try await store.timeline(email: EmailAddress("ann@example.com"))?.enrollments.first?.state == "active")
    }

    func refusedRecipientBouncesOnlyThatLead() async throws {
        try await addLeads("ann@example.com", "bob@example.com", "cy@example.com")
        let transport = ScriptedTransport([
            .delivered, .permanent("550 no such user", recipientRefused: true), .delivered,
        ])
        let tick = try await project.sendLoop(transport).tick(now: t0)
        #expect(tick.sent == 2 && tick.failed == 1)
        #expect(tick.suppressed == 1, "the bounced lead's drip ends in the same tick")
        let bounced = transport.messages[1].recipient
        #expect(try await store.lead(email: try EmailAddress(bounced))?.status == .bounced)
        let later = try await project.sendLoop(transport).tick(now: t0.addingTimeInterval(86_400))
        #expect(later.sent == 2)
        #expect(!transport.messages.dropFirst(3).contains { $0.recipient == bounced })
    }

    func unknownOutcomeIsNeverResentSilently() async throws {
        try await addLeads("ann@example.com")
        let transport = ScriptedTransport([.unknown("connection lost after the final dot")])
        #expect(try await project.sendLoop(transport).tick(now: t0).unknown == 1)
        let status = try await store.sendStatus(now: t0)
        #expect(status.unknown.map(\.email) == ["ann@example.com"])
        #expect(try await project.sendLoop(transport).tick(now: t0.addingTimeInterval(86_400 * 3)).sent == 0)
        #expect(transport.messages.count == 1)
        // The user decides to send again.
        #expect(try await store.resolveUnknown(markSent: false, now: t0) == 1)
        #expect(try await project.sendLoop(transport).tick(now: t0.addingTimeInterval(86_400 * 3)).sent == 1)
        #expect(transport.messages.count == 2)
    }

    func fatalTransportErrorStopsTheTickAndMarksNothingSent() async throws {
        try await addLeads("ann@example.com", "bob@example.com", "cy@example.com")
        let transport = ScriptedTransport([.fatal("535 authentication failed")])
        let stopped = try await project.sendLoop(transport).tick(now: t0)
        #expect(stopped.stoppedBecause == "535 authentication failed")
        #expect(stopped.sent == 0)
        #expect(transport.messages.count == 1, "nothing more is tried after a fatal error")
        let healthy = ScriptedTransport()
        #expect(try await project.sendLoop(healthy).tick(now: t0).sent == 3)
        #expect(Set(healthy.messages.map(\.recipient)).count == 3)
    }

    func planReportsRenamedAndInsertedSteps() async throws {
        try await addLeads("ann@example.com")
        _ = try await project.sendLoop(ScriptedTransport()).tick(now: t0)
        let edited = Campaign(
            id: "drip", name: "drip", from: catalog.campaigns[0].from, enroll: EnrollmentRule(tags: ["trial"]),
            steps: [
                Step(
                    id: "intro", timing: .wait(.zero), subject: "s", template: "a",
                    location: catalog.campaigns[0].steps[0].location),
                Step(
                    id: "one-renamed", timing: .wait(.zero), subject: "s", template: "a",
                    location: catalog.campaigns[0].steps[0].location),
            ], file: "campaigns/drip.yml")
        let report = CampaignPlanReport(
            campaign: edited, enrollments: try await store.enrollments(campaignID: "drip"), planner: DripPlanner(),
            now: t0)
        #expect(report.goneSteps == ["one": 1])
        #expect(report.passedSteps.isEmpty)
        #expect(report.next.map(\.action) == [.send(edited.steps[0])])
    }
}

extension SendLoopFailureFixture {
    static let checks = [
        ConformanceCheck("a transient failure is retried with backoff and sent once") {
            try await SendLoopFailureFixture($0).transientFailureIsRetriedWithBackoffAndSentOnce()
        },
        ConformanceCheck("an untried message is never charged an attempt") {
            try await SendLoopFailureFixture($0).untriedMessagesAreNeverChargedAnAttempt()
        },
        ConformanceCheck("a refused recipient bounces only that lead") {
            try await SendLoopFailureFixture($0).refusedRecipientBouncesOnlyThatLead()
        },
        ConformanceCheck("an unknown outcome is never resent silently") {
            try await SendLoopFailureFixture($0).unknownOutcomeIsNeverResentSilently()
        },
        ConformanceCheck("a fatal transport error stops the tick and marks nothing sent") {
            try await SendLoopFailureFixture($0).fatalTransportErrorStopsTheTickAndMarksNothingSent()
        },
        ConformanceCheck("plan reports renamed and inserted steps") {
            try await SendLoopFailureFixture($0).planReportsRenamedAndInsertedSteps()
        },
    ]
}
