import Foundation
import NurtureMIME

/// Turns a rendered step into the message that goes on the wire, with the headers a
/// bulk sender owes its recipients (RFC 2369 List-*, RFC 8058 one-click unsubscribe).
public struct MessageComposer: Sendable {
    /// The formatted `Date` header, when the caller composes many messages at one date.
    public var dateHeader: String?
    /// An address for `mailto:` unsubscribes beside the HTTPS link (RFC 2369), if any.
    public var unsubscribeMailbox: EmailAddress?
    /// Signs each message with the DKIM keys of its From domain (nil: no keys).
    public var dkim: DKIMSigner?

    public init(dateHeader: String? = nil, unsubscribeMailbox: EmailAddress? = nil, dkim: DKIMSigner? = nil) {
        self.dateHeader = dateHeader
        self.unsubscribeMailbox = unsubscribeMailbox
        self.dkim = dkim
    }

    /// Stable for an (enrolment, step): a retry carries the same Message-ID, so the
    /// recipient's system can spot a duplicate if one ever slips through.
    public static func messageID(enrollmentID: Int64, step: String, campaign: Campaign) -> String {
        "nurture.\(campaign.id).\(enrollmentID).\(step)@\(campaign.from.address.domain)"
    }

    public func compose(
        rendered: RenderedStep, campaign: Campaign, step: Step, lead: Lead, messageID: String, unsubscribeURL: String,
        date: Date
    ) -> OutgoingMessage {
        let name = [lead.firstName, lead.lastName].compactMap { $0 }.joined(separator: " ")
        var headers: [(name: String, value: String)] = [
            ("List-Id", "\(campaign.name) <\(campaign.id).\(campaign.from.address.domain)>")
        ]
        var unsubscribe: [String] = []
        if unsubscribeURL.hasPrefix("https://") || unsubscribeURL.hasPrefix("http://") {
            unsubscribe.append("<\(unsubscribeURL)>")
        }
        if let mailbox = unsubscribeMailbox { unsubscribe.append("<mailto:\(mailbox.address)?subject=unsubscribe>") }
        if !unsubscribe.isEmpty { headers.append(("List-Unsubscribe", unsubscribe.joined(separator: ", "))) }
        if unsubscribe.first?.hasPrefix("<http") == true {
            // RFC 8058 §3.1: one-click, by POST to the List-Unsubscribe URL.
            headers.append(("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))
        }
        var message = MailMessage(
            from: MIMEMailbox(displayName: campaign.from.displayName, address: campaign.from.address.address),
            to: MIMEMailbox(displayName: name.isEmpty ? nil : name, address: lead.email.address),
            replyTo: campaign.replyTo.map { MIMEMailbox(displayName: $0.displayName, address: $0.address.address) },
            subject: rendered.subject, text: rendered.text, html: rendered.html, messageID: messageID, date: date,
            extraHeaders: headers)
        message.dateHeader = dateHeader
        var data = message.rendered()
        if let dkim {
            // A key that was read cannot fail to sign (BoringSSL fails only without memory);
            // were it to, the message goes unsigned rather than not at all.
            data = (try? dkim.sign(data, fromDomain: String(campaign.from.address.domain))) ?? data
        }
        return OutgoingMessage(
            envelopeSender: campaign.from.address.address, recipient: lead.email.address, messageID: messageID,
            data: data, campaignID: campaign.id, stepID: step.id, subject: rendered.subject)
    }
}
