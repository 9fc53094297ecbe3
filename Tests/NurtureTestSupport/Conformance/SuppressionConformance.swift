import Foundation
import NurtureCore
import Testing

/// Issue 37.4: the suppression list in a store, and the send loop that heeds it.
struct SuppressionFixture {
    let project: DripProject
    var store: any Store { project.store }
    let t0 = DripProject.t0

    init(_ makeStore: StoreFactory) async throws {
        project = try await DripProject(drip: makeStore)
    }

    func theListIsKeptAndMatchedByAddressThenDomain() async throws {
        #expect(try await store.suppress(["ann@acme.example", "@blocked.example"], reason: "test", now: t0) == 2)
        #expect(
            try await store.suppress(
                ["ann@acme.example", "bo@acme.example"], reason: "again", now: t0.addingTimeInterval(1)) == 1,
            "only the new one")
        #expect(
            try await store.suppressions().map(\.pattern) == [
                "@blocked.example", "ann@acme.example", "bo@acme.example",
            ])
        #expect(try await store.suppressions().first?.reason == "test")
        let found = try await store.suppressionEntries(for: [
            "ann@acme.example", "cy@blocked.example", "dee@acme.example",
        ])
        #expect(found == ["ann@acme.example": "ann@acme.example", "cy@blocked.example": "@blocked.example"])
        #expect(try await store.unsuppress("bo@acme.example"))
        #expect(try await store.unsuppress("bo@acme.example") == false)
        #expect(try await store.suppressionEntries(for: ["bo@acme.example"]).isEmpty)
    }

    /// A suppressed address or domain gets nothing; its drip ends as suppressed, saying
    /// which entry; a lead suppressed after its message was admitted is withheld at
    /// hand-over.
    func aSuppressedLeadIsNeverMailed() async throws {
        let leads = ["ann@acme.example", "bo@blocked.example", "cy@ok.example", "Dee@Acme.example"]
        _ = try await store.upsertLeads(leads.map { LeadInput(email: try! EmailAddress($0), tags: ["trial"]) }, now: t0)
        _ = try await store.suppress(
            ["ann@acme.example", "@blocked.example", "dee@acme.example"], reason: "test", now: t0)
        let transport = ScriptedTransport()
        let summary = try await project.sendLoop(transport).tick(now: t0)
        #expect(transport.messages.map(\.recipient) == ["cy@ok.example"])
        #expect(summary.sent == 1 && summary.suppressed == 3, "\(summary)")
        let bo = try #require(
            try await store.timeline(email: try EmailAddress("bo@blocked.example"))?.enrollments.first)
        #expect(
            bo.state == "suppressed" && bo.endReason == "the address is on the suppression list (@blocked.example)",
            "\(bo)")

        // Cy's second step is admitted, then cy is suppressed before the hand-over.
        _ = try await store.enroll(
            campaignID: "drip", rule: project.catalog.campaigns[0].enrollment(stages: StageRules()), now: t0)
        let later = t0.addingTimeInterval(2 * 86_400)
        let due = try await store.dueEnrollments(now: later, campaigns: ["drip"], limit: 10)
        let cy = try #require(due.first { $0.lead.email.address == "cy@ok.example" })
        let claims = try await store.apply(
            [
                EnrollmentChange(
                    enrollmentID: cy.snapshot.id, outcome: .claim(step: "two", messageID: "m-two", variant: nil))
            ], now: later)
        let claim = try #require(claims.first)
        #expect(try await store.handOver(recording: [], admitting: [claim], now: later) == [true])
        _ = try await store.suppress(["cy@ok.example"], reason: "complained elsewhere", now: later)
        #expect(try await store.mayStillMail(claim) == false, "the check right before the hand-over sees the list")
    }
}

extension SuppressionFixture {
    static let checks = [
        ConformanceCheck("the suppression list is kept and matched by address, then domain") {
            try await SuppressionFixture($0).theListIsKeptAndMatchedByAddressThenDomain()
        },
        ConformanceCheck("a suppressed address or domain is never mailed") {
            try await SuppressionFixture($0).aSuppressedLeadIsNeverMailed()
        },
    ]
}
