import Foundation

/// What a received message is, read from the message alone (the store decides whom it
/// concerns, see `InboundProcessor`).
public struct InboundReading: Sendable {
    public enum Kind: String, Sendable {
        /// A delivery report: some recipients failed (RFC 3464, or an MTA's own words).
        case bounce
        /// A complaint from a mailbox provider's feedback loop (ARF, RFC 5965).
        case complaint
        /// An automatic reply (RFC 3834: out of office, vacation): shown, nothing recorded.
        case autoReply = "auto-reply"
        /// Anything else: a person's reply when it answers our mail or comes from a lead.
        case other
    }

    /// One recipient a delivery report says failed.
    public struct FailedRecipient: Sendable, Hashable {
        public var address: String
        public var severity: BounceSeverity
        /// The RFC 3463 code, when the report gives one.
        public var status: String?
        /// The server's words, one line.
        public var diagnostic: String
    }

    public var kind: Kind
    public var failed: [FailedRecipient] = []
    /// The complained-about recipient (ARF's Original-Rcpt-To, or the returned copy's To).
    public var complainant: String?
    /// Every Message-ID the message refers to (In-Reply-To, References, the returned copy's
    /// Message-ID), and every address it was sent to (the envelope recipient of a bounce
    /// is a VERP return path).
    public var referencedMessageIDs: [String] = []
    public var addressedTo: [String] = []
    /// The sender (for a reply: which lead answered).
    public var from: String?
    /// The message's own Message-ID, to handle each once.
    public var messageID: String?
    public var date: Date?
    public var subject: String
}

/// Sorts received mail into bounces, complaints, automatic replies and the rest.
public enum InboundClassifier {
    public static func read(_ mail: InboundMail) -> InboundReading {
        var reading = InboundReading(kind: .other, subject: mail.field("subject") ?? "")
        reading.messageID = mail.field("message-id").flatMap { messageIDs(in: $0).first }
        reading.from = mail.field("from").flatMap { addresses(in: $0).first }
        reading.date = mail.field("date").flatMap(MessageDate.parse)
        reading.addressedTo = ["to", "delivered-to", "x-original-to", "envelope-to", "cc"]
            .flatMap { name in mail.fields.filter { $0.name == name }.flatMap { addresses(in: $0.value) } }
        reading.referencedMessageIDs = referencedMessageIDs(mail)

        if let report = mail.allParts.first(where: { $0.contentType == "message/feedback-report" }) {
            reading.kind = .complaint
            let fields = InboundMail.fields(Substring(MailText.unixLines(report.text)))
            let recipient = fields.first { $0.name == "original-rcpt-to" }.flatMap { addresses(in: $0.value).first }
            reading.complainant =
                recipient
                ?? returnedCopies(of: mail).lazy.compactMap { $0.field("to") }
                .compactMap { addresses(in: $0).first }.first
            return reading
        }
        if let status = mail.allParts.first(where: { DeliveryStatus.reportTypes.contains($0.contentType) }) {
            reading.failed = DeliveryStatus.failedRecipients(status.text, context: mail.readableText)
            if !reading.failed.isEmpty {
                reading.kind = .bounce
                return reading
            }
        }
        if isAutomaticReply(mail) {
            reading.kind = .autoReply
            return reading
        }
        if looksLikeBounce(mail) {
            let failed = TextBounce.failedRecipients(
                mail, ownAddresses: Set(reading.addressedTo + [reading.from].compactMap { $0 }))
            if !failed.isEmpty {
                reading.kind = .bounce
                reading.failed = failed
                return reading
            }
        }
        return reading
    }

    // MARK: - Signs

    /// RFC 3834 §5 and the fields and subjects auto-responders use instead.
    static func isAutomaticReply(_ mail: InboundMail) -> Bool {
        if let submitted = mail.field("auto-submitted")?.lowercased(), submitted.hasPrefix("auto-replied") {
            return true
        }
        if mail.field("x-autoreply") != nil || mail.field("x-autorespond") != nil { return true }
        if mail.field("precedence")?.lowercased() == "auto_reply" { return true }
        // Only as the subject's start: "Re: out of office party" is a person writing.
        let subject = (mail.field("subject") ?? "").lowercased()
        return autoReplySubjects.contains { subject.hasPrefix($0) }
    }

    static let autoReplySubjects = [
        "auto:", "automatic reply", "autoreply", "auto reply", "auto-reply", "out of office", "out of the office",
        "abwesenheitsnotiz", "réponse automatique", "respuesta automática", "risposta automatica",
        "on vacation", "i am away", "i'm away",
    ]

    /// The sender or subject of a bounce from software that writes no DSN.
    static func looksLikeBounce(_ mail: InboundMail) -> Bool {
        let from = (mail.field("from") ?? "").lowercased()
        if ["mailer-daemon", "postmaster", "mail delivery", "mailadmin", "mmdf", "smtp gateway"]
            .contains(where: from.contains)
        {
            return true
        }
        if mail.field("x-failed-recipients") != nil { return true }
        let subject = (mail.field("subject") ?? "").lowercased()
        return [
            "undeliver", "undelivered", "delivery fail", "failure notice", "returned mail",
            "delivery status notification",
            "mail delivery failed", "could not be delivered", "nondeliverable", "non-deliverable", "non-delivery",
            "returned to sender",
            "delivery problem", "delivery error", "not delivered", "mail system error", "unable to deliver",
            "delivery report", "permanent error", "non remis", "returned message",
        ].contains(where: subject.contains)
    }

    // MARK: - Addresses and ids

    /// The messages a bounce or complaint carries back (message/rfc822, text/rfc822-headers).
    static func returnedCopies(of mail: InboundMail) -> [InboundMail] {
        mail.allParts.filter { $0.contentType == "message/rfc822" || $0.contentType == "text/rfc822-headers" }
            .flatMap(\.parts)
    }

    static func referencedMessageIDs(_ mail: InboundMail) -> [String] {
        var ids: [String] = []
        for name in ["in-reply-to", "references"] { ids += mail.field(name).map(messageIDs) ?? [] }
        for copy in returnedCopies(of: mail) { ids += copy.field("message-id").map(messageIDs) ?? [] }
        // A bounce that quotes the original as text: its Message-ID line.
        ids += messageIDs(in: mail.readableText).filter { $0.hasPrefix("nurture.") }
        var seen = Set<String>()
        return ids.filter { seen.insert($0).inserted }
    }

    /// The `<…@…>` ids in a field or text, without the angle brackets.
    static func messageIDs(in text: String) -> [String] {
        var ids: [String] = []
        var rest = text[...]
        while let open = rest.firstIndex(of: "<") {
            let after = rest[rest.index(after: open)...]
            guard let close = after.firstIndex(of: ">") else { break }
            let id = after[..<close]
            if id.contains("@"), !id.contains(" "), id.count <= 250 { ids.append(String(id)) }
            rest = after[close...]
        }
        return ids
    }

    /// The addresses in a field or a line: `<a@b>` first, else bare `a@b` words.
    static func addresses(in text: String) -> [String] {
        var found: [String] = []
        for word in text.split(whereSeparator: { " \t\n,;:()[]\"'<>=".contains($0) }) {
            let candidate = word.trimmingCharacters(in: CharacterSet(charactersIn: ".!?*"))
            guard let at = candidate.firstIndex(of: "@"), at != candidate.startIndex,
                candidate.index(after: at) != candidate.endIndex,
                candidate[candidate.index(after: at)...].contains("."), candidate.count <= 254
            else { continue }
            found.append(candidate.lowercased())
        }
        return found
    }
}
