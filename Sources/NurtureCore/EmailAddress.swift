import Foundation

/// A validated email address in the common dot-atom form (`local@domain.tld`).
///
/// Stricter than RFC 5321 on purpose: no quoted local parts, no IP-literal domains, no
/// whitespace or control characters, ASCII only. What passes here can go into an SMTP
/// envelope and a header without quoting, so lead data cannot smuggle in a command.
public struct EmailAddress: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// As given (trimmed), for display.
    public let address: String

    /// The key leads are unique by: the whole address lowercased. Mail providers treat
    /// local parts case-insensitively in practice, and two rows for `Ada@x` and `ada@x`
    /// would mean two copies of every step. Made once, when the address is checked (an
    /// import checks it while parsing; the store's writer only reads it).
    public let normalized: String

    public var description: String { address }
    public var domain: Substring {
        // Found on the bytes: a search by Character walks grapheme breaks, and every
        // message's Message-ID and List-Id ask for the sender's domain.
        let at = address.utf8.lastIndex(of: UInt8(ascii: "@"))!
        return address[address.utf8.index(after: at)...]
    }

    public static func < (lhs: EmailAddress, rhs: EmailAddress) -> Bool { lhs.normalized < rhs.normalized }

    public enum Problem: Error, Equatable, CustomStringConvertible {
        case empty
        case missingAt
        case badLocalPart
        case badDomain
        case tooLong
        case nonASCII

        public var description: String {
            switch self {
            case .empty: return "the email address is empty"
            case .missingAt: return "an email address needs exactly one '@'"
            case .badLocalPart:
                return
                    "the part before '@' may hold letters, digits and .!#$%&'*+/=?^_`{|}~- (no spaces, no leading, trailing or double dots)"
            case .badDomain:
                return
                    "the domain after '@' must be like 'example.com': labels of letters, digits and hyphens, with a dot"
            case .tooLong: return "the address is longer than SMTP allows (64 before '@', 254 in all)"
            case .nonASCII: return "international (non-ASCII) addresses are not supported yet"
            }
        }
    }

    public init(_ text: String) throws(Problem) {
        let address = TextChecks.trimmed(text)
        guard !address.isEmpty else { throw .empty }
        // One pass over the bytes per check, in the order the problems are reported:
        // this runs for every row of an import.
        let bytes = Array(address.utf8)
        guard !bytes.contains(where: { $0 >= 0x80 }) else { throw .nonASCII }
        guard let at = bytes.firstIndex(of: Self.at), bytes.lastIndex(of: Self.at) == at else { throw .missingAt }
        let local = bytes[..<at]
        let domain = bytes[(at + 1)...]
        guard local.count <= 64, bytes.count <= 254 else { throw .tooLong }
        guard Self.isDotAtom(local) else { throw .badLocalPart }
        guard Self.isDomain(domain) else { throw .badDomain }
        self.address = address
        // Most addresses are written in lower case already: then the key shares the text.
        normalized =
            bytes.contains(where: { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) })
            ? address.lowercased() : address
    }

    private static let at = UInt8(ascii: "@"), dot = UInt8(ascii: "."), hyphen = UInt8(ascii: "-")

    /// ASCII bytes allowed in an atom (RFC 5322 atext), and in a host name label.
    private static let atext = table(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~-")
    private static let hostCharacters = table("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")

    private static func table(_ characters: String) -> [Bool] {
        var table = [Bool](repeating: false, count: 128)
        for byte in characters.utf8 { table[Int(byte)] = true }
        return table
    }

    /// Atoms of atext joined by single dots, none empty.
    private static func isDotAtom(_ text: ArraySlice<UInt8>) -> Bool {
        var atomLength = 0
        for byte in text {
            if byte == dot {
                guard atomLength > 0 else { return false }
                atomLength = 0
            } else {
                guard atext[Int(byte)] else { return false }
                atomLength += 1
            }
        }
        return atomLength > 0
    }

    /// At least two labels of 1 to 63 host characters, none starting or ending with a
    /// hyphen; the last holds a letter.
    private static func isDomain(_ text: ArraySlice<UInt8>) -> Bool {
        var labels = 0
        var start = text.startIndex
        for index in text.indices where text[index] == dot {
            guard isLabel(text[start..<index]) else { return false }
            labels += 1
            start = index + 1
        }
        let lastLabel = text[start...]
        guard isLabel(lastLabel) else { return false }
        labels += 1
        return labels >= 2 && lastLabel.contains { $0 > 0x40 && $0 != hyphen }
    }

    private static func isLabel(_ label: ArraySlice<UInt8>) -> Bool {
        (1...63).contains(label.count) && label.first != hyphen && label.last != hyphen
            && label.allSatisfy { hostCharacters[Int($0)] }
    }
}

/// An address with an optional display name: `Ada from Acme <ada@acme.example>`.
public struct Mailbox: Sendable, Hashable, CustomStringConvertible {
    public var displayName: String?
    public var address: EmailAddress

    public init(displayName: String?, address: EmailAddress) {
        self.displayName = displayName
        self.address = address
    }

    public var description: String {
        guard let displayName, !displayName.isEmpty else { return address.address }
        return "\(displayName) <\(address.address)>"
    }

    public enum Problem: Error, Equatable, CustomStringConvertible {
        case address(EmailAddress.Problem)
        case unbalancedBrackets
        case controlCharacter

        public var description: String {
            switch self {
            case .address(let problem): return problem.description
            case .unbalancedBrackets:
                return "the address must be written 'Name <user@example.com>' or 'user@example.com'"
            case .controlCharacter: return "line breaks and control characters are not allowed in an address"
            }
        }
    }

    /// Parses `Name <addr>`, `"Name, Inc." <addr>` or a bare `addr`.
    public init(parsing text: String) throws(Problem) {
        // A CR or LF here could start a new header line: refuse it outright.
        guard !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .controlCharacter
        }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let open = trimmed.lastIndex(of: "<") else {
            guard !trimmed.contains(">") else { throw .unbalancedBrackets }
            do { self.init(displayName: nil, address: try EmailAddress(trimmed)) } catch { throw .address(error) }
            return
        }
        guard trimmed.last == ">", trimmed.firstIndex(of: ">") == trimmed.index(before: trimmed.endIndex) else {
            throw .unbalancedBrackets
        }
        let inner = trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)]
        var name = trimmed[..<open].trimmingCharacters(in: .whitespaces)
        if name.count >= 2, name.first == "\"", name.last == "\"" {
            name = String(name.dropFirst().dropLast())
        }
        do {
            self.init(displayName: name.isEmpty ? nil : name, address: try EmailAddress(String(inner)))
        } catch {
            throw .address(error)
        }
    }
}
