import Foundation
import NurtureMIME
import Testing

@Suite struct MailMessageTests {
    func message(subject: String = "Hello", text: String? = "Hi", html: String? = "<p>Hi</p>", toName: String? = "Ann")
        -> MailMessage
    {
        MailMessage(
            from: MIMEMailbox(displayName: "Jürgen Groß", address: "j@acme.example"),
            to: MIMEMailbox(displayName: toName, address: "ann@example.com"),
            subject: subject, text: text, html: html, messageID: "nurture.1.welcome@acme.example",
            date: Date(timeIntervalSince1970: 1_894_000_000),
            extraHeaders: [("List-Unsubscribe", "<https://t.example/u/x>")])
    }

    /// Decodes quoted-printable (soft breaks and =XX) to check round trips.
    func decodeQP(_ text: String) -> String {
        var bytes: [UInt8] = []
        let source = Array(text.replacing("=\r\n", with: "").utf8)
        var index = 0
        while index < source.count {
            if source[index] == UInt8(ascii: "="), index + 2 < source.count,
                let value = UInt8(String(decoding: source[index + 1...index + 2], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                index += 3
            } else {
                bytes.append(source[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Issue 11.9: a 3,000-character word in a name or subject cannot be folded at a
    /// space; it travels as encoded-words, and every line stays within RFC 5322's limits.
    @Test func longWordsInHeadersAreEncodedWithinLineLimits() {
        let long = String(repeating: "A", count: 3000)
        for raw in [
            message(toName: long).rendered(), message(subject: long).rendered(),
            message(toName: "Ann \"\(long)\" Lee").rendered(),
        ] {
            let header = raw.components(separatedBy: "\r\n\r\n")[0]
            let lines = header.components(separatedBy: "\r\n")
            #expect(lines.allSatisfy { $0.utf8.count <= 78 }, "\(lines.map(\.utf8.count).max()!) octets")
            #expect(!lines.contains { $0.trimmingCharacters(in: .whitespaces).isEmpty })
        }
        #expect(
            message(toName: "Ann Lee").rendered().contains("To: Ann Lee <ann@example.com>\r\n"),
            "short names stay plain")
    }

    @Test func multipartAlternativeWithTextFirst() {
        let raw = message().rendered()
        #expect(raw.contains("Content-Type: multipart/alternative; boundary=\"=_nurture_"))
        let plain = raw.range(of: "text/plain")!.lowerBound
        let html = raw.range(of: "text/html")!.lowerBound
        #expect(plain < html)
        #expect(raw.contains("Date: Mon, 07 Jan 2030 07:06:40 +0000\r\n"))
        #expect(raw.contains("Message-ID: <nurture.1.welcome@acme.example>"))
        #expect(raw.contains("From: =?UTF-8?B?"))
    }

    @Test func linesEndInCRLFAndStayShort() {
        let long =
            String(repeating: "Grüße aus Köln, wir freuen uns! ", count: 80) + "\n.leading dot\n"
            + String(repeating: "x", count: 3000)
        let raw = message(
            subject: String(repeating: "Zoë — dein Zugang ✓ ", count: 10), text: long, html: "<p>\(long)</p>"
        ).rendered()
        let bytes = Array(raw.utf8)
        for (index, byte) in bytes.enumerated() where byte == 0x0A {
            #expect(index > 0 && bytes[index - 1] == 0x0D, "bare LF at \(index)")
        }
        for line in raw.split(separator: "\r\n", omittingEmptySubsequences: false) {
            #expect(
                line.utf8.count <= 78 || line.hasPrefix("Content-Type: multipart"), "long line: \(line.prefix(40))…")
        }
        #expect(raw.utf8.allSatisfy { $0 < 0x80 }, "only ASCII goes over the wire")
        #expect(!raw.contains("\r\n.leading"), "a leading dot is encoded")
    }

    @Test(arguments: [
        "Hello, world", "Grüße, Zoë — dein Zugang ✓", "日本語のテキストです。" + String(repeating: "長い", count: 60),
        "tab\there  \ntrailing space \n",
    ])
    func quotedPrintableRoundTrips(_ text: String) {
        let encoded = QuotedPrintable.encode(text)
        #expect(decodeQP(encoded) == text.replacing("\n", with: "\r\n"))
        #expect(encoded.split(separator: "\r\n").allSatisfy { $0.utf8.count <= 76 })
    }

    @Test func encodedWordsAreShortAndKeepCharactersWhole() {
        let text = String(repeating: "Zoë ✓ 👩‍👩‍👧‍👦 ", count: 12)
        let words = EncodedWord.encode(text)
        #expect(words.allSatisfy { $0.utf8.count <= 75 })
        let decoded = words.map { word -> [UInt8] in
            let base64 = word.dropFirst("=?UTF-8?B?".count).dropLast(2)
            let data = Data(base64Encoded: String(base64))!
            #expect(String(data: data, encoding: .utf8) != nil, "a word splits a UTF-8 sequence")
            return [UInt8](data)
        }.flatMap { $0 }
        #expect(String(decoding: decoded, as: UTF8.self) == text)
    }

    @Test func leadDataCannotAddHeaders() {
        let raw = message(subject: "Hi\r\nBcc: victim@example.org", toName: "Eve\r\nBcc: victim@example.org").rendered()
        let headerBlock = raw.components(separatedBy: "\r\n\r\n")[0]
        #expect(!headerBlock.split(separator: "\r\n").contains { $0.hasPrefix("Bcc:") })
    }

    @Test func singlePartWhenOnlyOneExists() {
        let raw = message(html: nil).rendered()
        #expect(!raw.contains("multipart"))
        #expect(
            raw.contains(
                "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nHi\r\n"))
    }

    @Test func displayNamesAreQuotedWhenNeeded() {
        let raw = MailMessage(
            from: MIMEMailbox(displayName: "Acme, Inc. \"Sales\"", address: "s@acme.example"),
            to: MIMEMailbox(displayName: nil, address: "ann@example.com"), subject: "x", text: "x", html: nil,
            messageID: "m@acme.example", date: Date(timeIntervalSince1970: 0)
        ).rendered()
        #expect(raw.contains("From: \"Acme, Inc. \\\"Sales\\\"\" <s@acme.example>"))
        #expect(raw.contains("To: ann@example.com"))
    }
}
