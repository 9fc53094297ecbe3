import Foundation

/// An address as it goes into a header: the address itself must already be validated
/// (no CR, LF, spaces or quotes; see NurtureCore's EmailAddress); the display name may
/// hold anything and is encoded here.
public struct MIMEMailbox: Sendable, Hashable {
    public var displayName: String?
    public var address: String

    public init(displayName: String?, address: String) {
        self.displayName = displayName
        self.address = address
    }
}

/// An RFC 5322 message: a single text or HTML part, or `multipart/alternative` with
/// text first and HTML second (RFC 2046 §5.1.4: the preferred part comes last).
public struct MailMessage: Sendable {
    public var from: MIMEMailbox
    public var to: MIMEMailbox
    public var replyTo: MIMEMailbox?
    public var subject: String
    public var text: String?
    public var html: String?
    /// Without angle brackets: `nurture.12.welcome@acme.example`.
    public var messageID: String
    public var date: Date
    /// Further headers (List-Unsubscribe, List-Id, …); names must be plain tokens.
    public var extraHeaders: [(name: String, value: String)]
    /// The `Date` header already formatted: a tick sends many messages with one date.
    public var dateHeader: String?

    public init(
        from: MIMEMailbox, to: MIMEMailbox, replyTo: MIMEMailbox? = nil, subject: String, text: String?, html: String?,
        messageID: String, date: Date, extraHeaders: [(name: String, value: String)] = []
    ) {
        self.from = from
        self.to = to
        self.replyTo = replyTo
        self.subject = subject
        self.text = text
        self.html = html
        self.messageID = messageID
        self.date = date
        self.extraHeaders = extraHeaders
    }

    /// The message as it goes over the wire: ASCII headers, CRLF line ends.
    public func rendered() -> String {
        let parts = [text.map { Part(subtype: "plain", body: $0) }, html.map { Part(subtype: "html", body: $0) }].compactMap { $0 }
        // One buffer for the whole message, sized up front: the bodies are copied once.
        var out = ""
        out.reserveCapacity(1024 + parts.reduce(0) { $0 + $1.encodedBody.utf8.count + 160 })
        func add(_ name: String, _ value: String) {
            out += Header.fold(name: name, value: value)
            out += "\r\n"
        }
        add("Date", dateHeader ?? MailDate.format(date))
        add("From", Header.mailbox(from))
        add("To", Header.mailbox(to))
        if let replyTo { add("Reply-To", Header.mailbox(replyTo)) }
        add("Message-ID", "<\(Header.clean(messageID))>")
        add("Subject", EncodedWord.encodeIfNeeded(Header.clean(subject)))
        for header in extraHeaders { add(header.name, Header.clean(header.value)) }
        add("MIME-Version", "1.0")
        if parts.count == 1 {
            parts[0].write(to: &out)
            return out
        }
        // "=_" cannot occur in quoted-printable or base64 output, so the boundary cannot
        // collide with any body.
        let boundary = "=_nurture_\(Header.stableHash(messageID))"
        out += "Content-Type: multipart/alternative; boundary=\"\(boundary)\"\r\n\r\n"
        for part in parts {
            out += "--"
            out += boundary
            out += "\r\n"
            part.write(to: &out)
        }
        out += "--"
        out += boundary
        out += "--\r\n"
        return out
    }

    struct Part {
        let subtype: String
        let encoding: String
        let encodedBody: String

        init(subtype: String, body: String) {
            self.subtype = subtype
            var text = body
            (encoding, encodedBody) = text.withUTF8 { input in
                // Quoted-printable keeps mostly-ASCII text readable; base64 wins for text
                // that is mostly non-Latin, where QP would triple every byte. Compare the
                // sizes without encoding twice: QP adds two bytes per escaped byte (soft
                // breaks aside).
                let (count, escapes) = QuotedPrintable.measure(input)
                if (count + 2) / 3 * 4 < count + 2 * escapes {
                    return ("base64", Base64.encodeBody(QuotedPrintable.normalizeLineEnds(body)))
                }
                return ("quoted-printable", String(decoding: QuotedPrintable.encode(bytes: input), as: UTF8.self))
            }
        }

        /// The part's headers, a blank line and its body, each line ending in CRLF.
        func write(to out: inout String) {
            out += "Content-Type: text/"
            out += subtype
            out += "; charset=utf-8\r\nContent-Transfer-Encoding: "
            out += encoding
            out += "\r\n\r\n"
            out += encodedBody
            out += "\r\n"
        }
    }
}

/// Header-writing rules.
enum Header {
    /// CR, LF and every other control character become spaces: lead data can never start
    /// a new header line (RFC 5322 §2.2: a header field is one line, unfolded).
    static func clean(_ value: String) -> String {
        // Nearly every value is clean: check the bytes before rebuilding anything.
        guard value.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == 0xC2 || $0 == 0xE2 }) else { return value }
        return String(String.UnicodeScalarView(value.unicodeScalars.map { scalar in
            scalar.value < 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value) || scalar == "\u{2028}" || scalar == "\u{2029}"
                ? " " : scalar
        }))
    }

    private static let atext = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~ ".utf8)

    /// `Name <addr>`: a plain phrase when it can be, a quoted string for ASCII with
    /// specials, encoded-words for anything else.
    static func mailbox(_ mailbox: MIMEMailbox) -> String {
        guard let raw = mailbox.displayName.map(clean) else { return mailbox.address }
        let name = trimmingSpaces(raw)
        guard !name.isEmpty else { return mailbox.address }
        let phrase: String
        if EncodedWord.needsEncoding(name) {
            phrase = EncodedWord.encode(name).joined(separator: " ")
        } else if name.utf8.allSatisfy({ atext.contains($0) }) {
            phrase = name
        } else {
            phrase = "\"" + name.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"") + "\""
        }
        return "\(phrase) <\(mailbox.address)>"
    }

    static func trimmingSpaces(_ text: String) -> String {
        let utf8 = text.utf8
        guard let start = utf8.firstIndex(where: { $0 != 0x20 }) else { return "" }
        let end = utf8.lastIndex(where: { $0 != 0x20 })!
        return String(text[start...end])
    }

    /// `Name: value`, folded before a space so that lines stay within 78 characters
    /// where the value allows it (RFC 5322 §2.1.1; an encoded-word is never split).
    /// Every continuation line starts with a space and holds more than spaces, so a
    /// fold can never make an empty line, which would end the header block.
    static func fold(name: String, value: String) -> String {
        let line = "\(name): \(value)"
        guard line.utf8.count > 78 else { return line }
        // Segments: a run of spaces and the word after it (the first has no spaces).
        var segments: [Substring] = []
        var start = line.startIndex
        var index = line.startIndex
        var previousWasSpace = false
        while index < line.endIndex {
            let isSpace = line[index] == " "
            if isSpace && !previousWasSpace && index != line.startIndex {
                segments.append(line[start..<index])
                start = index
            }
            previousWasSpace = isSpace
            index = line.index(after: index)
        }
        segments.append(line[start...])
        var lines: [String] = []
        var current = ""
        for (index, segment) in segments.enumerated() {
            let hasWord = segment.contains { $0 != " " }
            // The first word stays beside the name ("List-Unsubscribe: <https://…>", a
            // long URL cannot be folded anyway), unless it is an encoded-word: RFC 2047
            // §2 keeps lines with encoded-words within 76 characters.
            let mayBreak = index > 1 || segment.hasPrefix(" =?")
            if !current.isEmpty, hasWord, mayBreak, current.utf8.count + segment.utf8.count > 78 {
                lines.append(current)
                current = String(segment)
            } else {
                current += segment
            }
        }
        lines.append(current)
        return lines.joined(separator: "\r\n")
    }

    /// FNV-1a, hex: a boundary that is the same for the same message, on any machine.
    static func stableHash(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}
