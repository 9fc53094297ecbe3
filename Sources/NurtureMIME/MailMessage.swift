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
        let parts = [text.map { Part(subtype: "plain", body: $0) }, html.map { Part(subtype: "html", body: $0) }]
            .compactMap { $0 }
        var head = ""
        head.reserveCapacity(1024)
        func add(_ name: String, _ value: String) {
            Header.append(name: name, value: value, to: &head)
            head += "\r\n"
        }
        add("Date", dateHeader ?? MailDate.format(date))
        add("From", Header.mailbox(from))
        add("To", Header.mailbox(to))
        if let replyTo { add("Reply-To", Header.mailbox(replyTo)) }
        add("Message-ID", "<\(Header.clean(messageID))>")
        add("Subject", EncodedWord.encodeIfNeeded(Header.clean(subject)))
        for header in extraHeaders { add(header.name, Header.clean(header.value)) }
        add("MIME-Version", "1.0")
        var pieces: [Piece] = [.text(head)]
        if parts.count == 1 {
            pieces += parts[0].pieces
        } else {
            // "=_" cannot occur in quoted-printable or base64 output, so the boundary cannot
            // collide with any body.
            let boundary = "=_nurture_\(Header.stableHash(messageID))"
            pieces.append(.text("Content-Type: multipart/alternative; boundary=\"\(boundary)\"\r\n\r\n"))
            for part in parts {
                pieces.append(.text("--\(boundary)\r\n"))
                pieces += part.pieces
            }
            pieces.append(.text("--\(boundary)--\r\n"))
        }
        return Piece.join(pieces)
    }

    /// A stretch of the message: written as it is, or a body quoted-printable encoded on
    /// the way into the message's buffer.
    enum Piece {
        case text(String)
        case quotedPrintable(String)

        var capacity: Int {
            switch self {
            case .text(let text): text.utf8.count
            case .quotedPrintable(let body): QuotedPrintable.encodedCapacity(body.utf8.count)
            }
        }

        /// The pieces in one string, written straight into its storage: the bodies are
        /// encoded once, into the message, with no copy in between.
        static func join(_ pieces: [Piece]) -> String {
            String(unsafeUninitializedCapacity: pieces.reduce(0) { $0 + $1.capacity }) { buffer in
                let out = buffer.baseAddress!
                var at = 0
                for piece in pieces {
                    switch piece {
                    case .text(var text):
                        text.withUTF8 { bytes in
                            if let source = bytes.baseAddress { (out + at).update(from: source, count: bytes.count) }
                            at += bytes.count
                        }
                    case .quotedPrintable(var body):
                        at += body.withUTF8 { QuotedPrintable.encode($0, into: out + at) }
                    }
                }
                return at
            }
        }
    }

    struct Part {
        let subtype: String
        let encoding: String
        let body: Piece

        init(subtype: String, body: String) {
            self.subtype = subtype
            var text = body
            // Quoted-printable keeps mostly-ASCII text readable; base64 wins for text
            // that is mostly non-Latin, where QP would triple every byte. Compare the
            // sizes without encoding twice: QP adds two bytes per escaped byte (soft
            // breaks aside).
            let (count, escapes) = text.withUTF8 { QuotedPrintable.measure($0) }
            if (count + 2) / 3 * 4 < count + 2 * escapes {
                (encoding, self.body) = ("base64", .text(Base64.encodeBody(QuotedPrintable.normalizeLineEnds(body))))
            } else {
                (encoding, self.body) = ("quoted-printable", .quotedPrintable(body))
            }
        }

        /// The part's headers, a blank line and its body, each line ending in CRLF.
        var pieces: [Piece] {
            [
                .text("Content-Type: text/\(subtype); charset=utf-8\r\nContent-Transfer-Encoding: \(encoding)\r\n\r\n"),
                body, .text("\r\n"),
            ]
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
        return String(
            String.UnicodeScalarView(
                value.unicodeScalars.map { scalar in
                    scalar.value < 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value)
                        || scalar == "\u{2028}" || scalar == "\u{2029}"
                        ? " " : scalar
                }))
    }

    /// RFC 5322 atext and the space between words: a phrase of these needs no quotes.
    private static func isPhraseByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), 0x20:
            true
        default: "!#$%&'*+-/=?^_`{|}~".utf8.contains(byte)
        }
    }

    /// `Name <addr>`: a plain phrase when it can be, a quoted string for ASCII with
    /// specials, encoded-words for anything else.
    static func mailbox(_ mailbox: MIMEMailbox) -> String {
        guard let raw = mailbox.displayName.map(clean) else { return mailbox.address }
        let name = trimmingSpaces(raw)
        guard !name.isEmpty else { return mailbox.address }
        let phrase: String
        if EncodedWord.needsEncoding(name) {
            phrase = EncodedWord.encode(name).joined(separator: " ")
        } else if name.utf8.allSatisfy(isPhraseByte) {
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

    /// The longest header line `fold` leaves as it is (RFC 5322 §2.1.1).
    static let lineLimit = 78

    /// `fold(name:value:)` appended to `out`; a line that needs no folding (nearly every
    /// one) is appended as it is, without a string of its own.
    static func append(name: String, value: String, to out: inout String) {
        guard name.utf8.count + 2 + value.utf8.count > lineLimit else {
            out += name
            out += ": "
            out += value
            return
        }
        out += fold(name: name, value: value)
    }

    /// `Name: value`, folded before a space so that lines stay within 78 characters
    /// where the value allows it (RFC 5322 §2.1.1; an encoded-word is never split).
    /// Every continuation line starts with a space and holds more than spaces, so a
    /// fold can never make an empty line, which would end the header block.
    static func fold(name: String, value: String) -> String {
        let line = "\(name): \(value)"
        guard line.utf8.count > lineLimit else { return line }
        // Nearly every long header is ASCII (encoded-words are): folded on its bytes.
        return line.utf8.allSatisfy({ $0 < 0x80 }) ? foldASCII(line) : foldCharacters(line)
    }

    /// `fold` character by character, for a line that is not ASCII.
    static func foldCharacters(_ line: String) -> String {
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

    /// `fold` for an ASCII line, where every byte is a character: the same segments and
    /// the same breaks, found on the bytes.
    static func foldASCII(_ line: String) -> String {
        let bytes = Array(line.utf8)
        let space = UInt8(ascii: " ")
        // Segments: a run of spaces and the word after it (the first has no spaces).
        var segments: [Range<Int>] = []
        var start = 0
        for index in bytes.indices where index > 0 && bytes[index] == space && bytes[index - 1] != space {
            segments.append(start..<index)
            start = index
        }
        segments.append(start..<bytes.count)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 3 * segments.count)
        var currentLength = 0
        for (index, segment) in segments.enumerated() {
            let hasWord = bytes[segment].contains { $0 != space }
            let startsEncodedWord =
                segment.count >= 3 && bytes[segment.lowerBound] == space
                && bytes[segment.lowerBound + 1] == UInt8(ascii: "=")
                && bytes[segment.lowerBound + 2] == UInt8(ascii: "?")
            let mayBreak = index > 1 || startsEncodedWord
            if currentLength > 0, hasWord, mayBreak, currentLength + segment.count > 78 {
                out += [UInt8(ascii: "\r"), UInt8(ascii: "\n")]
                currentLength = 0
            }
            out += bytes[segment]
            currentLength += segment.count
        }
        return String(decoding: out, as: UTF8.self)
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
