import Foundation
import NurtureTestSupport
import Testing

/// Issue 41.6 with the built binary and a real, slow receiver: webhooks are posted beside
/// the ticks, several at once to one receiver (never more than four), and each once.
@Suite(.serialized) struct WebhookPacingTests {
    let secret = "whsec-pacing-0123456789"

    /// A campaign for leads tagged `trial`, who enter `mql` at once, a webhook for `mql`
    /// to `receiver`, and `leads` such leads imported into the store `environment` names.
    func makeProject(
        _ project: TemporaryDirectory, leads: Int, receiver: WebhookReceiver, environment: [String: String]
    ) throws {
        try project.write("templates/hello.txt.mustache", "Hello {{first_name}}\n")
        try project.write(
            "campaigns/welcome.yml",
            """
            from: "Acme <hello@acme.example>"
            enroll: { tags: [trial] }
            steps: [{ id: hello, subject: "Hello", template: hello }]
            """)
        try project.write(
            "nurture.yml",
            """
            stages:
              - { id: mql, when: { has_tag: trial } }
            webhooks:
              - { url: "\(receiver.url)", events: [mql] }

            """)
        var csv = "email,first_name,tags\n"
        for index in 0..<leads { csv += "lead\(index)@example.com,Lead\(index),trial\n" }
        try project.write("leads.csv", csv)
        let imported = try NurtureBinary.run(
            ["leads", "import", "leads.csv"], in: project.url, environment: environment)
        #expect(imported.status == 0, "\(imported.stderr)")
    }

    /// Thirteen leads enter `mql` at the first tick of `run --every 1s --limit 12`, which
    /// mails twelve; the receiver takes 5 s per request. The thirteenth is mailed by the
    /// next tick, before the receiver has answered any of the thirteen posts (posted one
    /// after another after the tick, they held the next tick for 65 s); the receiver
    /// sees up to four requests at once, and each delivery once.
    @Test func aSlowReceiverDelaysNoMailAndGetsFourAtATime() async throws {
        let receiver = try WebhookReceiver(secret: secret, delayMilliseconds: 5_000)
        defer { receiver.stop() }
        let environment = ["NURTURE_WEBHOOK_SECRET": secret]
        let project = try TemporaryDirectory("nurture-webhook-pacing")
        try makeProject(project, leads: 13, receiver: receiver, environment: environment)

        let sender = try NurtureBinary.start(
            ["run", "--every", "1s", "--limit", "12"], in: project.url, environment: environment)
        let outbox = project.url.appendingPathComponent("outbox")
        func mailed() -> [URL] {
            ((try? FileManager.default.contentsOfDirectory(atPath: outbox.path)) ?? []).map {
                outbox.appendingPathComponent($0)
            }
        }
        let deadline = Date().addingTimeInterval(120)
        while try mailed().count < 13 || receiver.received().count < 13, Date() < deadline {
            try await Task.sleep(for: .milliseconds(200))
        }
        let (result, _) = try await OwnThread.run { try sender.terminate() }
        #expect(result.status == 0, "\(result.stderr)")
        #expect(mailed().count == 13, "\(result.stdout)")

        // When the last mail was written, against the receiver's first answer (both
        // clocks are this machine's).
        let received = try receiver.received()
        let lastMailedAt =
            try mailed().compactMap {
                try FileManager.default.attributesOfItem(atPath: $0.path)[.modificationDate] as? Date
            }
            .map(\.timeIntervalSince1970).max() ?? .infinity
        let firstAnsweredAt = received.compactMap { $0["answered_at"] as? Double }.min() ?? 0
        #expect(
            lastMailedAt < firstAnsweredAt,
            "the thirteenth lead waited for the webhooks: mailed \(lastMailedAt - firstAnsweredAt) s after the first answer\n\(result.stdout)"
        )
        let ids = received.compactMap { ($0["headers"] as? [String: String])?["x-nurture-delivery"] }
        #expect(ids.count == 13 && Set(ids).count == 13, "each delivery once: \(ids)")
        let mostAtOnce = received.compactMap { $0["concurrent"] as? Int }.max() ?? 0
        #expect(mostAtOnce == 4, "at most four at once to one receiver, and four when thirteen wait: \(mostAtOnce)")
        #expect(received.allSatisfy { $0["signature_valid"] as? Bool == true })
        #expect(result.stdout.contains("webhooks: "), "\(result.stdout)")
    }

    /// Two `run --every 1s` on one PostgreSQL store claim from the same outbox at the same
    /// moments: each of 40 deliveries reaches the receiver once.
    @Test func twoSendersPostEachDeliveryOnce() async throws {
        let receiver = try WebhookReceiver(secret: secret, delayMilliseconds: 300)
        defer { receiver.stop() }
        let project = try TemporaryDirectory("nurture-webhook-two")
        let environment = [
            "NURTURE_WEBHOOK_SECRET": secret, "NURTURE_DB": try StoreKind.postgres.databaseArgument(in: project),
        ]
        try makeProject(project, leads: 40, receiver: receiver, environment: environment)

        let senders = try (0..<2).map { _ in
            try NurtureBinary.start(["run", "--every", "1s"], in: project.url, environment: environment)
        }
        let deadline = Date().addingTimeInterval(60)
        while try receiver.received().count < 40, Date() < deadline { try await Task.sleep(for: .milliseconds(200)) }
        // Time for a second post of anything, were there one.
        try await Task.sleep(for: .seconds(2))
        for sender in senders {
            let (result, _) = try await OwnThread.run { try sender.terminate() }
            #expect(result.status == 0, "\(result.stderr)")
        }
        let ids = try receiver.received().compactMap { ($0["headers"] as? [String: String])?["x-nurture-delivery"] }
        #expect(
            ids.count == 40 && Set(ids).count == 40,
            "each delivery once: \(ids.count) posts, \(Set(ids).count) deliveries")
    }
}
