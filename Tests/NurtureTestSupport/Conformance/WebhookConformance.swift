import Foundation
import NurtureCore
import Testing

/// The webhook outbox in a store: written with the event, claimed once, retried when due.
struct WebhookFixture {
    let project: DripProject
    var store: any Store { project.store }
    let t0 = DripProject.t0
    let url = "https://crm.example/hooks"

    init(_ makeStore: StoreFactory) async throws {
        project = try await DripProject(
            makeStore, template: "a.txt", "Hi",
            campaign: """
                from: "Acme <hello@acme.example>"
                enroll: { tags: [trial] }
                steps:
                  - { id: one, subject: One, template: a }
                """)
    }

    func email(_ text: String) -> EmailAddress { try! EmailAddress(text) }

    /// Everything due at `time`, leased for five minutes.
    func claim(at time: Date) async throws -> [WebhookDelivery] {
        try await store.claimWebhookDeliveries(now: time, perReceiver: 10, leasedUntil: time.addingTimeInterval(300))
    }

    func theOutboxIsWrittenWithTheEventAndDeliveredOnce() async throws {
        _ = try await store.recordEvent(
            LeadInput(email: email("early@acme.example")), name: "mql", attributes: [:], goalCampaigns: [], now: t0)
        try await store.setWebhooks([WebhookRule(url: url, events: ["mql", "bounced"])])
        #expect(try await claim(at: t0).isEmpty, "events before the webhook existed are not sent")
        _ = try await store.upsertLeads(
            [
                LeadInput(
                    email: email("ann@acme.example"), attributes: ["plan": "pro"], source: LeadSource(source: "ads"))
            ], now: t0)
        _ = try await store.recordEvent(
            LeadInput(email: email("ann@acme.example")), name: "mql", attributes: ["via": "test"], goalCampaigns: [],
            now: t0)
        _ = try await store.recordEvent(
            LeadInput(email: email("ann@acme.example")), name: "page_view", attributes: [:], goalCampaigns: [], now: t0)
        #expect(try await store.webhookBacklog() == WebhookBacklog(pending: 1, failing: 0))

        let claimed = try await claim(at: t0)
        let delivery = try #require(claimed.first)
        #expect(claimed.count == 1)
        #expect(
            delivery.url == url && delivery.attempts == 0 && delivery.event.name == "mql"
                && delivery.event.attributes == ["via": "test"])
        #expect(
            delivery.lead.email.address == "ann@acme.example" && delivery.lead.attributes == ["plan": "pro"]
                && delivery.lead.source?.source == "ads")
        #expect(try await claim(at: t0).isEmpty, "leased to whoever claimed it")

        try await store.recordWebhookAttempt(
            id: delivery.id, outcome: .failed("HTTP 503"), now: t0, retryAt: t0.addingTimeInterval(60))
        #expect(
            try await store.webhookBacklog() == WebhookBacklog(pending: 1, failing: 1, lastFailure: (url, "HTTP 503")))
        #expect(try await claim(at: t0.addingTimeInterval(59)).isEmpty)
        let again = try #require(try await claim(at: t0.addingTimeInterval(60)).first)
        #expect(again.id == delivery.id && again.attempts == 1, "the same delivery, the same idempotency id")
        try await store.recordWebhookAttempt(
            id: again.id, outcome: .delivered, now: t0.addingTimeInterval(60), retryAt: t0)
        #expect(try await claim(at: t0.addingTimeInterval(99_999)).isEmpty)
        #expect(try await store.webhookBacklog() == WebhookBacklog())

        // A bounce is recorded as an event, with a delivery of its own.
        _ = try await store.upsertLeads([LeadInput(email: email("bo@acme.example"), tags: ["trial"])], now: t0)
        let loop = project.sendLoop(ScriptedTransport([.permanent("550 no such user", recipientRefused: true)]))
        _ = try await loop.tick(now: t0.addingTimeInterval(120))
        let bounce = try await claim(at: t0.addingTimeInterval(120))
        #expect(bounce.map(\.event.name) == ["bounced"])
        #expect(bounce.first?.lead.status == .bounced)
        #expect(bounce.first?.event.attributes["step"] == "one")
    }
}

extension WebhookFixture {
    /// A claim takes at most `perReceiver` due deliveries of each receiver, the oldest
    /// first, and each is its claimer's until its lease ends, not a moment longer.
    func eachReceiverGetsItsShareAndEachDeliveryItsOwnLease() async throws {
        let other = "https://other.example/hooks"
        try await store.setWebhooks([WebhookRule(url: url, events: ["mql"]), WebhookRule(url: other, events: ["sql"])])
        for index in 0..<6 {
            let lead = LeadInput(email: email("lead\(index)@acme.example"))
            _ = try await store.recordEvent(
                lead, name: "mql", attributes: [:], goalCampaigns: [], now: t0.addingTimeInterval(Double(index)))
            if index < 2 {
                _ = try await store.recordEvent(
                    lead, name: "sql", attributes: [:], goalCampaigns: [], now: t0.addingTimeInterval(Double(index)))
            }
        }
        let now = t0.addingTimeInterval(10)
        let lease = now.addingTimeInterval(40)
        let first = try await store.claimWebhookDeliveries(now: now, perReceiver: 4, leasedUntil: lease)
        #expect(first.filter { $0.url == url }.map(\.lead.email.address) == (0..<4).map { "lead\($0)@acme.example" })
        #expect(first.filter { $0.url == other }.count == 2)
        let second = try await store.claimWebhookDeliveries(now: now, perReceiver: 4, leasedUntil: lease)
        #expect(
            second.map(\.lead.email.address) == ["lead4@acme.example", "lead5@acme.example"]
                && second.allSatisfy { $0.url == url })
        #expect(
            try await store.claimWebhookDeliveries(
                now: lease.addingTimeInterval(-1), perReceiver: 4, leasedUntil: lease.addingTimeInterval(40)
            ).isEmpty,
            "each delivery is leased until its lease ends")
        let afterLease = try await store.claimWebhookDeliveries(
            now: lease, perReceiver: 4, leasedUntil: lease.addingTimeInterval(40))
        #expect(afterLease.count == 6, "a lease that ran out frees its deliveries: \(afterLease.count)")
    }

    static let checks = [
        ConformanceCheck("each receiver gets its share of a claim, each delivery its own lease") {
            try await WebhookFixture($0).eachReceiverGetsItsShareAndEachDeliveryItsOwnLease()
        },
        ConformanceCheck("the webhook outbox is written with the event and delivered once") {
            try await WebhookFixture($0).theOutboxIsWrittenWithTheEventAndDeliveredOnce()
        },
    ]
}
