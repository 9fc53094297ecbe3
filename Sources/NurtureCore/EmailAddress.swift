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
    /// would mean two copies of every step.
    public var normalized: String { address.lowercased() }

    public var description: String { address }
    public var domain: Substring { address[address.index(after: address.lastIndex(of: "@")!)...] }

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
                return "the part before '@' may hold letters, digits and .!#$%&'*+/=?^_`{|}~- (no spaces, no leading, trailing or double dots)"
            case .badDomain: return "the domain after '@' must be like 'example.com': labels of letters, digits and hyphens, with a dot"
            case .tooLong: return "the address is longer than SMTP allows (64 before '@', 254 in all)"
            case .nonASCII: return "international (non-ASCII) addresses are not supported yet"
            }
        }
    }

    public init(_ text: String) throws(Problem) {
        let address = TextChecks.trimmed(text)
        guard !address.isEmpty else { throw .empty }
        guard address.utf8.allSatisfy({ $0 < 0x80 }) else { throw .nonASCII }
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw .missingAt }
        let (local, domain) = (parts[0], parts[1])
        guard local.utf8.count <= 64, address.utf8.count <= 254 else { throw .tooLong }
        guard Self.isDotAtom(local) else { throw .badLocalPart }
        guard Self.isDomain(domain) else { throw .badDomain }
        self.address = address
    }

    private static let atext = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~-".utf8)

    private static let hostCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-".utf8)

    private static func isDotAtom(_ text: Substring) -> Bool {
        let atoms = text.split(separator: ".", omittingEmptySubsequences: false)
        return atoms.allSatisfy { !$0.isEmpty && $0.utf8.allSatisfy { atext.contains($0) } }
    }

    private static func isDomain(_ text: Substring) -> Bool {
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, let tld = labels.last, tld.utf8.contains(where: { $0 > 0x40 && $0 != UInt8(ascii: "-") }) else { return false }
        return labels.allSatisfy { label in
            (1...63).contains(label.utf8.count) && label.first != "-" && label.last != "-"
                && label.utf8.allSatisfy { hostCharacters.contains($0) }
        }
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
            case .unbalancedBrackets: return "the address must be written 'Name <user@example.com>' or 'user@example.com'"
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
