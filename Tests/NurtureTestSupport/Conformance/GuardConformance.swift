import Foundation
import NurtureCore
import Testing

/// Issue 37.5: the complaint guard, on a store and the send loop.
struct GuardFixture {
    let project: DripProject
    var store: any Store { project.store }
    let t0 = DripProject.t0

    init(_ makeStore: StoreFactory) async throws {
        project = try await DripProject(drip: makeStore)
        let leads = (0..<10).map { LeadInput(email: try! EmailAddress("lead\($0)@acme.example"), tags: ["trial"]) }
        _ = try await project.store.upsertLeads(leads, now: t0)
        _ = try await project.sendLoop(ScriptedTransport()).tick(now: t0)
    }

    func complain(_ index: Int, at time: Date) async throws {
        _ = try await store.recordEvent(
            LeadInput(email: try EmailAddress("lead\(index)@acme.example")), name: "complained",
            attributes: ["campaign": "drip", "step": "one"], goalCampaigns: [], now: time)
    }

    /// Two complaints in ten sent (20%) pass a 10% line: step two is held, saying why,
    /// until the guard is reset; then it goes out.
    func aTrippedGuardHoldsTheCampaignUntilReset() async throws {
        for index in [1, 2] { try await complain(index, at: t0.addingTimeInterval(3600)) }
        let counts = try await store.complaintCounts(since: t0.addingTimeInterval(-86_400))
        #expect(counts["drip"] == ComplaintGuard.Counts(complaints: 2, sent: 10), "\(counts)")

        let transport = ScriptedTransport()
        var loop = project.sendLoop(transport)
        loop.complaintGuard = ComplaintGuard(rate: 0.1, window: 7 * 86_400, minimumSent: 5)
        let day2 = t0.addingTimeInterval(86_400)
        let held = try await loop.tick(now: day2)
        #expect(transport.messages.isEmpty && held.held == 10 && held.guardsTripped == ["drip"], "\(held)")
        let trip = try #require(try await store.guardTrips()["drip"])
        #expect(trip.counts == ComplaintGuard.Counts(complaints: 2, sent: 10) && trip.at == day2)
        let lead = try #require(try await store.timeline(email: try EmailAddress("lead3@acme.example")))
        #expect(lead.enrollments.first?.heldReason == trip.reason, "\(lead.enrollments)")
        #expect(trip.reason.contains("2 complaints in 10 sent") && trip.reason.contains("nurture guard reset drip"))

        // Still tripped a minute later: nothing goes out, and it trips no second time.
        let again = try await loop.tick(now: day2.addingTimeInterval(90))
        #expect(transport.messages.isEmpty && again.guardsTripped.isEmpty)

        #expect(try await store.resetGuard(campaignID: "drip", now: day2.addingTimeInterval(100)))
        #expect(try await store.resetGuard(campaignID: "drip", now: day2.addingTimeInterval(100)) == false)
        let resumed = try await loop.tick(now: day2.addingTimeInterval(200))
        #expect(transport.messages.count == 10 && resumed.guardsTripped.isEmpty, "\(resumed)")
    }

    /// Below the minimum sent, any share of complaints trips nothing.
    func aCampaignBelowTheMinimumCannotTrip() async throws {
        for index in 0..<5 { try await complain(index, at: t0.addingTimeInterval(3600)) }
        let transport = ScriptedTransport()
        var loop = project.sendLoop(transport)
        loop.complaintGuard = ComplaintGuard(rate: 0.003, window: 7 * 86_400, minimumSent: 1_000)
        let summary = try await loop.tick(now: t0.addingTimeInterval(86_400))
        #expect(summary.guardsTripped.isEmpty && transport.messages.count == 10, "\(summary)")
        #expect(try await store.guardTrips().isEmpty)
    }

    static let checks = [
        ConformanceCheck("a tripped complaint guard holds the campaign until it is reset") {
            try await GuardFixture($0).aTrippedGuardHoldsTheCampaignUntilReset()
        },
        ConformanceCheck("a campaign below the minimum sent cannot trip its guard") {
            try await GuardFixture($0).aCampaignBelowTheMinimumCannotTrip()
        },
    ]
}
