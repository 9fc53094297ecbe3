import Foundation
import NurtureCore
import Testing

/// The reading of received mail (issue 37.3) on the cases the corpus test does not hold:
/// replies and automatic replies.
@Suite struct InboundClassifierTests {
    func read(_ text: String) -> InboundReading {
        InboundClassifier.read(InboundMail(text.replacingOccurrences(of: "\n", with: "\r\n")))
    }

    @Test(arguments: [
        "Auto-Submitted: auto-replied\nSubject: Re: Welcome",
        "Subject: Automatic reply: Welcome",
        "Subject: Out of Office: Welcome",
        "X-Autoreply: yes\nSubject: Welcome",
        "Precedence: auto_reply\nSubject: Welcome",
    ])
    func automaticRepliesAreKnown(_ fields: String) {
        let reading = read(
            "From: Ann <ann@example.com>\n\(fields)\nMessage-ID: <1@example.com>\n\nAway until Monday.\n")
        #expect(reading.kind == .autoReply)
    }

    /// A person's words about an office party or a holiday are not an automatic reply, and
    /// `Auto-Submitted: no` says so outright.
    @Test(arguments: [
        "Subject: Re: out of office party", "Subject: Re: our vacation plans",
        "Auto-Submitted: no\nSubject: Re: Welcome",
    ])
    func peopleWritingAreNot(_ fields: String) {
        let reading = read(
            "From: Ann <ann@example.com>\n\(fields)\nIn-Reply-To: <nurture.welcome.7.hello@acme.example>\nDate: Mon, 7 Jan 2030 11:00:00 +0100\n\nYes!\n"
        )
        #expect(reading.kind == .other)
        #expect(reading.from == "ann@example.com")
        #expect(reading.referencedMessageIDs == ["nurture.welcome.7.hello@acme.example"])
        #expect(reading.date == Date(timeIntervalSince1970: 1_894_010_400))
    }

    /// A DSN's Status decides; a bare 5.0.0 gives way to the code the remote server said.
    @Test func aReportsStatusDecidesHardOrSoft() {
        func report(_ status: String, _ diagnostic: String) -> InboundReading {
            read(
                """
                From: MAILER-DAEMON@mx.example.net
                Subject: Undelivered Mail Returned to Sender
                Content-Type: multipart/report; report-type=delivery-status; boundary="b"

                --b
                Content-Type: text/plain

                Could not deliver.
                --b
                Content-Type: message/delivery-status

                Reporting-MTA: dns; mx.example.net

                Final-Recipient: rfc822; bo@example.org
                Action: failed
                Status: \(status)
                Diagnostic-Code: smtp; \(diagnostic)
                --b--
                """)
        }
        #expect(report("5.1.1", "550 5.1.1 User unknown").failed.map(\.severity) == [.hard])
        #expect(report("5.0.0", "550 5.1.1 <bo@example.org> No such user").failed.map(\.severity) == [.hard])
        #expect(report("5.2.2", "552 5.2.2 Mailbox full").failed.map(\.severity) == [.soft])
        #expect(report("5.7.1", "550 5.7.1 Message rejected as spam").failed.map(\.severity) == [.soft])
        #expect(report("4.4.7", "Delivery time expired").failed.map(\.severity) == [.soft])
    }
}
