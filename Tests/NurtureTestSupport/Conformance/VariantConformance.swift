import Foundation
import NurtureCore
import Testing

/// A/B variants in the store: each message records its variant, a retry renders the one
/// recorded, and a winner decided from people's clicks goes to later leads only.
struct VariantFixture {
    let project: DripProject
    var store: any Store { project.store }
    let t0 = DripProject.t0

    init(_ makeStore: StoreFactory) async throws {
        project = try await DripProject(
            makeStore, template: "a.html", "<p><a href=\"https://acme.example/x\">x</a></p>",
            campaign: """
                from: "Acme <hello@acme.example>"
                enroll: { tags: [trial] }
                steps:
                  - id: one
                    template: a
                    variants:
                      - { id: a, subject: Subject A }
                      - { id: b, subject: Subject B }
                    winner: { metric: click_rate, after: 3 }
                """)
    }

    func loop(_ transport: ScriptedTransport, at time: Date) -> SendLoop {
        var loop = project.sendLoop(transport)
        loop.wallClock = { time }
        return loop
    }

    func leads(_ range: ClosedRange<Int>) -> [LeadInput] {
        range.map { LeadInput(email: try! EmailAddress("lead\($0)@example.com"), tags: ["trial"]) }
    }

    func theVariantIsRecordedKeptOnRetryAndTheWinnerGoesToLaterLeads() async throws {
        _ = try await store.upsertLeads(leads(1...20), now: t0)
        // The first message handed over fails for now and is retried later.
        let transport = ScriptedTransport([.transient("451 try later")])
        let first = try await loop(transport, at: t0).tick(now: t0)
        #expect(first.sent == 19 && first.retrying == 1 && first.winners.isEmpty)
        let retried = try #require(transport.messages.first)
        let sent = try await store.sentMessages(campaignID: "drip")
        let subjects = Dictionary(
            uniqueKeysWithValues: transport.messages.dropFirst().map { ($0.messageID, $0.subject) })
        #expect(sent.count == 19)
        for message in sent {
            let messageID = MessageComposer.messageID(
                enrollmentID: message.enrollmentID, step: "one", campaign: project.catalog.campaigns[0])
            #expect(
                subjects[messageID] == "Subject \(message.variant?.uppercased() ?? "?")",
                "the variant recorded is the one rendered")
        }
        let counts = Dictionary(grouping: sent, by: { $0.variant ?? "" }).mapValues(\.count)
        #expect((counts["a"] ?? 0) >= 3 && (counts["b"] ?? 0) >= 3, "\(counts)")

        // People click every b and no a: significant, so b wins at the next tick.
        for message in sent where message.variant == "b" {
            let click = TrackingRequest(
                link: .click(messageRow: message.row, link: 0, url: "https://acme.example/x"),
                at: t0.addingTimeInterval(600), userAgent: "UA")
            try await store.recordActivity(
                RecordedActivity(request: click, verdict: ActivityVerdict(.human, "test")), decoyReach: 60)
        }
        let report = VariantReport(
            messages: try await store.sentMessages(campaignID: "drip"), steps: project.catalog.campaigns[0].steps)
        #expect(report.rows.map(\.variant) == ["a", "b"])
        #expect(report.rows[1].clicked == counts["b"] && report.rows[0].clicked == 0)
        #expect(try #require(report.rows[1].clickP) < 0.05)

        _ = try await store.upsertLeads(leads(21...30), now: t0)
        let later = t0.addingTimeInterval(3_600)
        let secondTransport = ScriptedTransport()
        let second = try await loop(secondTransport, at: later).tick(now: later)
        #expect(second.winners == ["drip/one: b"])
        let winners = try await store.variantWinners()
        #expect(
            winners.count == 1 && winners.first?.variant == "b" && winners.first?.reason == "click_rate"
                && winners.first?.decidedAt == later)
        #expect(try #require(winners.first?.pValue) < 0.05)
        let again = try #require(secondTransport.messages.first { $0.recipient == retried.recipient })
        #expect(
            again.subject == retried.subject, "a retry renders the variant recorded at the first attempt, winner or not"
        )
        #expect(
            secondTransport.messages.filter { $0.recipient != retried.recipient }.map(\.subject)
                == Array(repeating: "Subject B", count: 10))
        let all = try await store.sentMessages(campaignID: "drip")
        #expect(all.count == 30)
        #expect(
            all.filter { $0.variant == "a" }.count == (counts["a"] ?? 0) + (retried.subject == "Subject A" ? 1 : 0),
            "earlier leads keep theirs")

        // A second decision (another sender's) keeps the first; a pick in the file replaces it.
        try await store.recordVariantWinner(
            VariantWinner(
                campaignID: "drip", step: "one", variant: "a", decidedAt: later, reason: "click_rate", pValue: 0.01))
        #expect(try await store.variantWinners() == winners)
        try await store.recordVariantWinner(
            VariantWinner(
                campaignID: "drip", step: "one", variant: "a", decidedAt: later, reason: "picked", pValue: nil))
        #expect(try await store.variantWinners().map(\.variant) == ["a"])
    }

    static let checks = [
        ConformanceCheck("a message records its variant, a retry keeps it, and a winner goes to later leads") {
            try await VariantFixture($0).theVariantIsRecordedKeptOnRetryAndTheWinnerGoesToLaterLeads()
        }
    ]
}
