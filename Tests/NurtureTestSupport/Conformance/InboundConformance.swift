import Foundation
import NurtureCore
import Testing

/// Issue 37.3: what comes back after sending, applied to a store. The reports are written
/// as Postfix, an ARF feedback loop and a mail client write them.
public struct InboundFixture {
    let project: DripProject
    var store: any Store { project.store }
    let t0 = DripProject.t0
    let returnPath = ReturnPath(
        base: try! EmailAddress("bounces@acme.example"), signer: LinkSigner(secret: "s3cret-for-tests"))
    /// What the tick sent, by recipient.
    var sent: [String: OutgoingMessage] = [:]

    init(_ makeStore: StoreFactory) async throws {
        project = try await DripProject(drip: makeStore, exitOn: ["replied"])
        let leads = ["ann@acme.example", "bo@acme.example", "cy@acme.example", "dee@acme.example"]
        _ = try await project.store.upsertLeads(
            leads.map { LeadInput(email: try! EmailAddress($0), tags: ["trial"]) }, now: t0)
        // Someone never mailed: a report naming them changes nothing.
        _ = try await project.store.upsertLeads([LeadInput(email: try! EmailAddress("eve@acme.example"))], now: t0)
        let transport = ScriptedTransport()
        var loop = project.sendLoop(transport)
        loop.returnPath = returnPath
        _ = try await loop.tick(now: t0)
        sent = Dictionary(uniqueKeysWithValues: transport.messages.map { ($0.recipient, $0) })
    }

    var processor: InboundProcessor {
        var processor = InboundProcessor(store: store, returnPath: returnPath, campaignIDs: ["drip"])
        processor.replyGoalCampaigns = ["drip"]
        return processor
    }

    func status(_ address: String) async throws -> LeadStatus? {
        try await store.lead(email: try EmailAddress(address))?.status
    }

    /// Postfix's report for `recipient`, sent to `to` (the return path of our message).
    public static func postfixReport(to: String, recipient: String, status: String, diagnostic: String, id: String)
        -> String
    {
        """
        Return-Path: <>
        Delivered-To: \(to)
        From: MAILER-DAEMON@mx.acme.example (Mail Delivery System)
        Subject: Undelivered Mail Returned to Sender
        To: \(to)
        Message-Id: <\(id)@mx.acme.example>
        Date: Mon,  7 Jan 2030 10:05:00 +0000 (UTC)
        MIME-Version: 1.0
        Content-Type: multipart/report; report-type=delivery-status;
        \tboundary="B0UND"

        This is a MIME-encapsulated message.

        --B0UND
        Content-Description: Notification
        Content-Type: text/plain; charset=us-ascii

        This is the mail system at host mx.acme.example.

        I'm sorry to have to inform you that your message could not
        be delivered to one or more recipients.

        <\(recipient)>: host mail.example[192.0.2.1] said: \(diagnostic)

        --B0UND
        Content-Description: Delivery report
        Content-Type: message/delivery-status

        Reporting-MTA: dns; mx.acme.example
        Arrival-Date: Mon,  7 Jan 2030 10:00:00 +0000 (UTC)

        Final-Recipient: rfc822; \(recipient)
        Original-Recipient: rfc822;\(recipient)
        Action: failed
        Status: \(status)
        Diagnostic-Code: smtp; \(diagnostic)

        --B0UND--
        """
    }

    func aHardBounceToTheReturnPathEndsThatLeadOnce() async throws {
        let ann = try #require(sent["ann@acme.example"]?.returnPath)
        #expect(ann.hasPrefix("bounces+"))
        let report = Self.postfixReport(
            to: ann, recipient: "ann@acme.example", status: "5.1.1",
            diagnostic: "550 5.1.1 <ann@acme.example>: Recipient address rejected: User unknown", id: "r1")
        try await store.setWebhooks([WebhookRule(url: "https://crm.example/hook", events: ["bounced", "complained"])])
        let first = try await processor.handle(report, now: t0.addingTimeInterval(300))
        #expect(first.kind == .bounce && first.changes.count == 1 && !first.repeated, "\(first)")
        #expect(try await status("ann@acme.example") == .bounced)
        // In the lead's story, and heard by webhooks.
        let story = try #require(try await store.timeline(email: try EmailAddress("ann@acme.example")))
        #expect(story.events.map(\.name) == ["bounced"])
        #expect(story.events.first?.attributes["reason"]?.contains("5.1.1") == true, "\(story.events)")
        let posted = try await store.claimWebhookDeliveries(
            now: t0.addingTimeInterval(301), perReceiver: 10, leasedUntil: t0.addingTimeInterval(900))
        #expect(posted.map(\.event.name) == ["bounced"] && posted.first?.lead.email.address == "ann@acme.example")
        // Credited to the step whose message bounced.
        let byStep = try await store.report(campaignID: "drip", stepOrder: ["one", "two"]).steps
        #expect(byStep.first?.hardBounces == 1 && byStep.first?.softBounces == 0, "\(byStep)")
        #expect(try await status("bo@acme.example") == .active, "only the lead the return path names")
        let again = try await processor.handle(report, now: t0.addingTimeInterval(600))
        #expect(again.repeated && again.changes.isEmpty, "each report is handled once: \(again)")
    }

    /// Three soft bounces within the window end a lead; two do not, nor three spread wider.
    func softBouncesEndALeadOnlyWhenEnoughComeInTheWindow() async throws {
        for (index, address) in ["bo@acme.example", "cy@acme.example"].enumerated() {
            let path = try #require(sent[address]?.returnPath)
            // bo's three come within a week; cy's three over forty days.
            let spacing: TimeInterval = index == 0 ? 2 * 86_400 : 20 * 86_400
            for round in 0..<3 {
                let report = Self.postfixReport(
                    to: path, recipient: address, status: "4.2.2", diagnostic: "452 4.2.2 Mailbox full",
                    id: "soft-\(index)-\(round)")
                _ = try await processor.handle(report, now: t0.addingTimeInterval(Double(round) * spacing))
                if round < 2 { #expect(try await status(address) == .active, "\(address) after \(round + 1)") }
            }
        }
        #expect(try await status("bo@acme.example") == .bounced)
        #expect(try await status("cy@acme.example") == .active)
        let metrics = try await store.metrics(now: t0.addingTimeInterval(50 * 86_400))
        #expect(metrics.inboundByKind == ["bounce": 6] && metrics.softBounces == 6, "\(metrics.inboundByKind)")
        #expect(metrics.inboundEvents == ["bounced": 1])
        #expect(metrics.prometheusText.contains("nurture_inbound_messages_total{kind=\"bounce\"} 6"))
        #expect(metrics.prometheusText.contains("nurture_inbound_lead_events_total{event=\"complained\"} 0"))
        let report = try await store.report(campaignID: "drip", stepOrder: ["one", "two"])
        #expect(report.steps.first?.softBounces == 6 && report.steps.first?.hardBounces == 0, "\(report.steps)")
        let bo = try #require(try await store.timeline(email: try EmailAddress("bo@acme.example")))
        #expect(bo.events.map(\.name) == ["bounced"])
        #expect(
            bo.events.first?.attributes["reason"]?.hasPrefix("3 soft bounces within 15 days") == true, "\(bo.events)")
    }

    func aComplaintMarksTheLeadComplained() async throws {
        let dee = try #require(sent["dee@acme.example"])
        let complaint = """
            From: staff@feedback.mailbox.example
            To: \(dee.returnPath ?? "")
            Subject: Complaint about message from 198.51.100.7
            Message-ID: <arf-1@feedback.mailbox.example>
            MIME-Version: 1.0
            Content-Type: multipart/report; report-type=feedback-report; boundary="part"

            --part
            Content-Type: text/plain

            This is an email abuse report for an email message received from IP 198.51.100.7.

            --part
            Content-Type: message/feedback-report

            Feedback-Type: abuse
            User-Agent: SomeGenerator/1.0
            Version: 1
            Original-Rcpt-To: <dee@acme.example>

            --part
            Content-Type: text/rfc822-headers

            From: Acme <hello@acme.example>
            To: dee@acme.example
            Message-ID: <\(dee.messageID)>
            Subject: One

            --part--
            """
        let outcome = try await processor.handle(complaint, now: t0.addingTimeInterval(3600))
        #expect(outcome.kind == .complaint && outcome.changes == ["dee@acme.example: complained"], "\(outcome)")
        #expect(try await status("dee@acme.example") == .complained)
        let story = try #require(try await store.timeline(email: try EmailAddress("dee@acme.example")))
        #expect(story.events.map(\.name) == ["complained"])
        let report = try await store.report(campaignID: "drip", stepOrder: ["one", "two"])
        #expect(report.steps.first?.complaints == 1, "\(report.steps)")
    }

    /// A reply converts (exit_on: [replied]) at the reply's time; an out-of-office records
    /// nothing; a report naming someone we never mailed changes nothing.
    func aReplyConvertsAndAnAutoReplyDoesNot() async throws {
        let cy = try #require(sent["cy@acme.example"])
        let auto = """
            From: Cy <cy@acme.example>
            To: hello@acme.example
            Subject: Out of Office: One
            Auto-Submitted: auto-replied
            In-Reply-To: <\(cy.messageID)>
            Message-ID: <ooo-1@acme.example>

            I am away until Monday.
            """
        let away = try await processor.handle(auto, now: t0.addingTimeInterval(60))
        #expect(away.kind == .autoReply && away.changes.isEmpty, "\(away)")
        let reply = """
            From: Cy <cy@acme.example>
            To: Acme <hello@acme.example>
            Subject: Re: One
            Date: Mon, 7 Jan 2030 12:30:00 +0000
            In-Reply-To: <\(cy.messageID)>
            Message-ID: <reply-1@acme.example>

            Sounds good, let's talk.
            """
        let answered = try await processor.handle(reply, now: t0.addingTimeInterval(3 * 3600))
        #expect(
            answered.kind == .other && answered.changes == ["cy@acme.example: replied; converted in drip"],
            "\(answered)")
        let timeline = try #require(try await store.timeline(email: try EmailAddress("cy@acme.example")))
        #expect(timeline.events.map(\.name) == ["replied"])
        #expect(timeline.events.first?.at == t0.addingTimeInterval(2.5 * 3600), "dated by the reply")
        #expect(timeline.enrollments.first?.state == "converted")
        let report = try await store.report(campaignID: "drip", stepOrder: ["one", "two"])
        #expect(report.steps.first?.replies == 1, "\(report.steps)")

        let stranger = Self.postfixReport(
            to: "someone@elsewhere.example", recipient: "eve@acme.example", status: "5.1.1",
            diagnostic: "550 5.1.1 User unknown", id: "r-eve")
        let ignored = try await processor.handle(stranger, now: t0.addingTimeInterval(60))
        #expect(ignored.kind == .bounce && ignored.changes.isEmpty)
        #expect(try await status("eve@acme.example") == .active)
    }

    static let checks = [
        ConformanceCheck("a hard bounce to a VERP return path ends that lead, once") {
            try await InboundFixture($0).aHardBounceToTheReturnPathEndsThatLeadOnce()
        },
        ConformanceCheck("soft bounces end a lead only when enough come within the window") {
            try await InboundFixture($0).softBouncesEndALeadOnlyWhenEnoughComeInTheWindow()
        },
        ConformanceCheck("a complaint marks the lead complained") {
            try await InboundFixture($0).aComplaintMarksTheLeadComplained()
        },
        ConformanceCheck("a reply converts, an automatic reply does not, a stranger changes nothing") {
            try await InboundFixture($0).aReplyConvertsAndAnAutoReplyDoesNot()
        },
    ]
}
