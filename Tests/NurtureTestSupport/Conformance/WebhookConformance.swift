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
        project = try await DripProject(makeStore, template: "a.txt", "Hi", campaign: """
            from: "Acme <hello@acme.example>"
            enroll: { tags: [trial] }
            steps:
              - { id: one, subject: One, template: a }
            """)
    }

    func email(_ text: String) -> EmailAddress { try! EmailAddress(text) }

    func theOutboxIsWrittenWithTheEventAndDeliveredOnce() async throws {
        _ = try await store.recordEvent(LeadInput(email: email("early@acme.example")), name: "mql", attributes: [:], goalCampaigns: [], now: t0)
        try await store.setWebhooks([WebhookRule(url: url, events: ["mql", "bounced"])])
        #expect(try await store.claimWebhookDeliveries(now: t0, limit: 10, lease: 300).isEmpty, "events before the webhook existed are not sent")
        _ = try await store.upsertLeads([LeadInput(email: email("ann@acme.example"), attributes: ["plan": "pro"], source: LeadSource(source: "ads"))], now: t0)
        _ = try await store.recordEvent(LeadInput(email: email("ann@acme.example")), name: "mql", attributes: ["via": "test"], goalCampaigns: [], now: t0)
        _ = try await store.recordEvent(LeadInput(email: email("ann@acme.example")), name: "page_view", attributes: [:], goalCampaigns: [], now: t0)
        #expect(try await store.webhookBacklog() == WebhookBacklog(pending: 1, failing: 0))

        let claimed = try await store.claimWebhookDeliveries(now: t0, limit: 10, lease: 300)
        let delivery = try #require(claimed.first)
        #expect(claimed.count == 1)
        #expect(delivery.url == url && delivery.attempts == 0 && delivery.event.name == "mql" && delivery.event.attributes == ["via": "test"])
        #expect(delivery.lead.email.address == "ann@acme.example" && delivery.lead.attributes == ["plan": "pro"] && delivery.lead.source?.source == "ads")
        #expect(try await store.claimWebhookDeliveries(now: t0, limit: 10, lease: 300).isEmpty, "leased to whoever claimed it")

        try await store.recordWebhookAttempt(id: delivery.id, outcome: .failed("HTTP 503"), now: t0, retryAt: t0.addingTimeInterval(60))
        #expect(try await store.webhookBacklog() == WebhookBacklog(pending: 1, failing: 1, lastFailure: (url, "HTTP 503")))
        #expect(try await store.claimWebhookDeliveries(now: t0.addingTimeInterval(59), limit: 10, lease: 300).isEmpty)
        let again = try #require(try await store.claimWebhookDeliveries(now: t0.addingTimeInterval(60), limit: 10, lease: 300).first)
        #expect(again.id == delivery.id && again.attempts == 1, "the same delivery, the same idempotency id")
        try await store.recordWebhookAttempt(id: again.id, outcome: .delivered, now: t0.addingTimeInterval(60), retryAt: t0)
        #expect(try await store.claimWebhookDeliveries(now: t0.addingTimeInterval(99_999), limit: 10, lease: 300).isEmpty)
        #expect(try await store.webhookBacklog() == WebhookBacklog())

        // A bounce is recorded as an event, with a delivery of its own.
        _ = try await store.upsertLeads([LeadInput(email: email("bo@acme.example"), tags: ["trial"])], now: t0)
        let loop = SendLoop(catalog: project.catalog, store: store, transport: ScriptedTransport([.permanent("550 no such user", recipientRefused: true)]),
                            planner: DripPlanner(), unsubscribeURL: { _, _ in "https://t.example/u/x" }, wallClock: { [t0] in t0 })
        _ = try await loop.tick(now: t0.addingTimeInterval(120))
        let bounce = try await store.claimWebhookDeliveries(now: t0.addingTimeInterval(120), limit: 10, lease: 300)
        #expect(bounce.map(\.event.name) == ["bounced"])
        #expect(bounce.first?.lead.status == .bounced)
        #expect(bounce.first?.event.attributes["step"] == "one")
    }
}

extension WebhookFixture {
    static let checks = [
        ConformanceCheck("the webhook outbox is written with the event and delivered once") { try await WebhookFixture($0).theOutboxIsWrittenWithTheEventAndDeliveredOnce() },
    ]
}
