import Foundation

/// A received RFC 5322 message taken apart as far as reading what came back needs: its
/// header fields (unfolded), its MIME parts (multipart, message/rfc822 and
/// text/rfc822-headers nested, transfer encodings undone) and its text. Lenient by
/// design: delivery reports come from every kind of software and many are not quite
/// well formed; nothing here throws, the worst is a message with no parts.
public struct InboundMail: Sendable {
    /// The fields in order, names in lower case, values unfolded and trimmed.
    public var fields: [(name: String, value: String)]
    /// The body as text (transfer encoding undone); empty for a multipart.
    public var text: String
    public var contentType: String
    public var parameters: [String: String]
    public var parts: [InboundMail]

    /// Parts deeper than this are left unread: a report inside a report inside a report
    /// is someone playing, not a mail server.
    static let maximumDepth = 6

    public init(_ raw: String) {
        self.init(raw, depth: 0)
    }

    init(_ raw: String, depth: Int, defaultType: String = "text/plain") {
        let (head, body) = Self.split(raw)
        fields = Self.fields(head)
        let (type, parameters) = Self.contentType(
            fields.first { $0.name == "content-type" }?.value, default: defaultType)
        contentType = type
        self.parameters = parameters
        parts = []
        text = ""
        let encoding = fields.first { $0.name == "content-transfer-encoding" }?.value.lowercased() ?? ""
        guard depth < Self.maximumDepth else { return }
        if type.hasPrefix("multipart/"), let boundary = parameters["boundary"], !boundary.isEmpty {
            let childType = type == "multipart/digest" ? "message/rfc822" : "text/plain"
            parts = Self.bodies(of: body, boundary: boundary).map {
                InboundMail($0, depth: depth + 1, defaultType: childType)
            }
        } else if type == "message/rfc822" || type == "text/rfc822-headers" {
            parts = [InboundMail(Self.decoded(body, encoding: encoding), depth: depth + 1)]
        } else {
            text = Self.decoded(body, encoding: encoding)
        }
    }

    /// The first value of a field, by name in any case.
    public func field(_ name: String) -> String? {
        let name = name.lowercased()
        return fields.first { $0.name == name }?.value
    }

    /// Every part, this one included, depth first.
    public var allParts: [InboundMail] {
        [self] + parts.flatMap(\.allParts)
    }

    /// The text of every text part (HTML as it is), for reading what a server wrote.
    public var readableText: String {
        allParts.filter { $0.contentType.hasPrefix("text/") && $0.contentType != "text/rfc822-headers" }
            .map(\.text).joined(separator: "\n")
    }

    // MARK: - Taking the text apart

    /// The header block and the body, at the first empty line (CRLF or LF).
    static func split(_ raw: String) -> (head: Substring, body: String) {
        let text = MailText.unixLines(raw)
        // A message that starts with a blank line has no header fields.
        if text.hasPrefix("\n") { return ("", String(text.dropFirst())) }
        guard let blank = text.range(of: "\n\n") else { return (Substring(text), "") }
        return (text[..<blank.lowerBound], String(text[blank.upperBound...]))
    }

    static func fields(_ head: Substring) -> [(name: String, value: String)] {
        var result: [(name: String, value: String)] = []
        for line in head.split(separator: "\n", omittingEmptySubsequences: false) {
            if let first = line.first, first == " " || first == "\t" {
                // A folded line continues the field before it.
                if !result.isEmpty {
                    result[result.count - 1].value += " " + MailText.trimmed(line)
                }
                continue
            }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = MailText.trimmed(line[..<colon]).lowercased()
            // "From VM Thu Oct 4" (an mbox separator) and the like are not fields.
            guard !name.isEmpty, !name.contains(" ") else { continue }
            result.append((name, MailText.trimmed(line[line.index(after: colon)...])))
        }
        return result
    }

    /// `type/subtype` in lower case and the parameters (names in lower case, quotes off).
    static func contentType(_ value: String?, default fallback: String) -> (String, [String: String]) {
        guard let value, !value.isEmpty else { return (fallback, [:]) }
        let pieces = splitParameters(value)
        let type = pieces.first.map { MailText.trimmed($0).lowercased() } ?? fallback
        var parameters: [String: String] = [:]
        for piece in pieces.dropFirst() {
            guard let equals = piece.firstIndex(of: "=") else { continue }
            let name = MailText.trimmed(piece[..<equals]).lowercased()
            var value = MailText.trimmed(piece[piece.index(after: equals)...])
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                value = String(value.dropFirst().dropLast())
            }
            parameters[name] = value
        }
        return (type.contains("/") ? type : fallback, parameters)
    }

    /// Splits at semicolons outside quotes.
    private static func splitParameters(_ value: String) -> [String] {
        var pieces: [String] = []
        var current = ""
        var quoted = false
        for character in value {
            if character == "\"" { quoted.toggle() }
            if character == ";" && !quoted {
                pieces.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        pieces.append(current)
        return pieces
    }

    /// The bodies between `--boundary` lines, up to `--boundary--` (or the end).
    static func bodies(of body: String, boundary: String) -> [String] {
        let delimiter = "--" + boundary
        var bodies: [String] = []
        var current: [Substring]?
        for line in body.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = MailText.trimmed(line)
            if trimmed == delimiter || trimmed == delimiter + "--" {
                if let current { bodies.append(current.joined(separator: "\n")) }
                if trimmed == delimiter + "--" { return bodies }
                current = []
            } else {
                current?.append(line)
            }
        }
        if let current, !current.isEmpty { bodies.append(current.joined(separator: "\n")) }
        return bodies
    }

    static func decoded(_ body: String, encoding: String) -> String {
        switch encoding {
        case "base64":
            let compact = body.filter { !$0.isWhitespace }
            guard let data = Data(base64Encoded: compact, options: .ignoreUnknownCharacters) else { return body }
            return MailText.unixLines(String(decoding: data, as: UTF8.self))
        case "quoted-printable":
            return quotedPrintableDecoded(body)
        default:
            return body
        }
    }

    static func quotedPrintableDecoded(_ body: String) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(body.utf8.count)
        let input = Array(body.utf8)
        var index = 0
        func hex(_ byte: UInt8) -> UInt8? {
            switch byte {
            case 0x30...0x39: byte - 0x30
            case 0x41...0x46: byte - 0x41 + 10
            case 0x61...0x66: byte - 0x61 + 10
            default: nil
            }
        }
        while index < input.count {
            let byte = input[index]
            if byte == 0x3D {
                // A soft line break: "=" at the end of a line.
                if index + 1 < input.count, input[index + 1] == 0x0A {
                    index += 2
                    continue
                }
                if index + 2 < input.count, let high = hex(input[index + 1]), let low = hex(input[index + 2]) {
                    bytes.append(high << 4 | low)
                    index += 3
                    continue
                }
            }
            bytes.append(byte)
            index += 1
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
