import Foundation
import NurtureMIME
import Testing

/// Random texts (from a fixed seed, so failures reproduce) through the encoders: limits
/// always hold and decoding gives back what went in.
@Suite struct MIMEPropertyTests {
    /// xorshift64*: small, seeded, good enough to vary inputs.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            return state &* 2_685_821_657_736_338_717
        }
    }

    static let alphabet: [String] = [
        "a", "Z", " ", " ", "\t", ".", "=", "-", "\n", "\r\n", "ä", "ß", "é", "—", "✓", "日", "本", "🎉", "👩‍👩‍👧", "\u{301}",
        "?", "_",
    ]

    func text(_ random: inout Generator, length: Int) -> String {
        (0..<length).map { _ in Self.alphabet[Int(random.next() % UInt64(Self.alphabet.count))] }.joined()
    }

    func decodeQP(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        let source = Array(text.replacing("=\r\n", with: "").utf8)
        var index = 0
        while index < source.count {
            if source[index] == UInt8(ascii: "="), index + 2 < source.count + 0,
                let value = UInt8(String(decoding: source[index + 1...index + 2], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                index += 3
            } else {
                bytes.append(source[index])
                index += 1
            }
        }
        return bytes
    }

    @Test func quotedPrintableLimitsAndRoundTrip() {
        var random = Generator(state: 0x9E37_79B9_7F4A_7C15)
        for _ in 0..<300 {
            let input = text(&random, length: Int(random.next() % 400))
            let encoded = QuotedPrintable.encode(input)
            #expect(encoded.utf8.allSatisfy { $0 < 0x80 })
            for line in encoded.split(separator: "\r\n", omittingEmptySubsequences: false) {
                #expect(line.utf8.count <= 76)
                #expect(line.last != " " && line.last != "\t")
                #expect(!line.hasPrefix("."))
            }
            #expect(
                !encoded.replacing("\r\n", with: "").contains("\r")
                    && !encoded.replacing("\r\n", with: "").contains("\n"))
            #expect(decodeQP(encoded) == QuotedPrintable.normalizeLineEnds(input))
        }
    }

    @Test func encodedWordsStayShortAndDecode() {
        var random = Generator(state: 42)
        for _ in 0..<300 {
            let input = text(&random, length: Int(random.next() % 120)).replacing("\r\n", with: " ").replacing(
                "\n", with: " ")
            let words = EncodedWord.encode(input)
            var decoded: [UInt8] = []
            for word in words {
                #expect(word.utf8.count <= 75)
                let payload = word.dropFirst("=?UTF-8?B?".count).dropLast(2)
                let data = Data(base64Encoded: String(payload)) ?? Data()
                #expect(String(data: data, encoding: .utf8) != nil, "a word splits a UTF-8 sequence: \(word)")
                decoded += data
            }
            #expect(String(decoding: decoded, as: UTF8.self) == input)
        }
    }

    @Test func wholeMessagesKeepTheWireRules() {
        var random = Generator(state: 7)
        for _ in 0..<100 {
            let message = MailMessage(
                from: MIMEMailbox(displayName: text(&random, length: 20), address: "a@acme.example"),
                to: MIMEMailbox(displayName: text(&random, length: 30), address: "b@example.com"),
                subject: text(&random, length: Int(random.next() % 200)),
                text: text(&random, length: Int(random.next() % 3000)),
                html: random.next() % 2 == 0 ? nil : text(&random, length: Int(random.next() % 3000)),
                messageID: "m\(random.next())@acme.example", date: Date(timeIntervalSince1970: 1_900_000_000))
            let raw = Array(message.rendered().utf8)
            #expect(raw.allSatisfy { $0 < 0x80 }, "8-bit byte on the wire")
            var lineLength = 0
            for (index, byte) in raw.enumerated() {
                if byte == 0x0A {
                    #expect(index > 0 && raw[index - 1] == 0x0D, "bare LF")
                    lineLength = 0
                } else if byte != 0x0D {
                    lineLength += 1
                    #expect(lineLength <= 998)
                } else {
                    #expect(index + 1 < raw.count && raw[index + 1] == 0x0A, "bare CR")
                }
            }
            let headers = String(decoding: raw, as: UTF8.self).components(separatedBy: "\r\n\r\n")[0]
            let names = headers.split(separator: "\r\n").filter { !$0.hasPrefix(" ") }.compactMap {
                $0.split(separator: ":").first
            }
            #expect(
                Set(names).isSubset(of: [
                    "Date", "From", "To", "Message-ID", "Subject", "MIME-Version", "Content-Type",
                    "Content-Transfer-Encoding",
                ]), "\(headers)")
            #expect(
                Set(names) == ["Date", "From", "To", "Message-ID", "Subject", "MIME-Version", "Content-Type"]
                    || Set(names) == [
                        "Date", "From", "To", "Message-ID", "Subject", "MIME-Version", "Content-Type",
                        "Content-Transfer-Encoding",
                    ])
        }
    }
}
