import Foundation

/// One rule of `score.fit`: points for who the lead is, from a custom attribute or the
/// kind of address. Each rule that holds adds its points; the rules do not interact.
public struct FitRule: Sendable, Hashable, CustomStringConvertible {
    public enum Test: Sendable, Hashable {
        /// The attribute read as a number (`1,200` and `1200` alike) is at least this.
        case atLeast(Double)
        case atMost(Double)
        /// Equal, ignoring case and surrounding spaces.
        case equals(String)
        /// One of these, ignoring case and surrounding spaces.
        case oneOf([String])
        case matches(FitPattern)
        /// The address is (true) or is not (false) at a well-known free mailbox provider.
        case freeEmail(Bool)
    }

    /// The custom attribute read; nil for `freeEmail`.
    public var attribute: String?
    public var test: Test
    public var points: Int

    public init(attribute: String?, test: Test, points: Int) {
        self.attribute = attribute
        self.test = test
        self.points = points
    }

    /// Only this much of a value is looked at: form data is anyone's, and a pattern's
    /// cost grows with what it reads.
    public static let valueLimit = 1024

    public func holds(for lead: Lead) -> Bool {
        if case .freeEmail(let free) = test { return FreeMailDomains.contains(lead.email.domain) == free }
        guard let attribute, let raw = lead.attributes[attribute] else { return false }
        let value = String(raw.prefix(Self.valueLimit)).trimmingCharacters(in: .whitespaces)
        guard !value.isEmpty else { return false }
        switch test {
        case .atLeast(let bound): return Self.number(value).map { $0 >= bound } ?? false
        case .atMost(let bound): return Self.number(value).map { $0 <= bound } ?? false
        case .equals(let expected): return value.caseInsensitiveCompare(expected) == .orderedSame
        case .oneOf(let values): return values.contains { value.caseInsensitiveCompare($0) == .orderedSame }
        case .matches(let pattern): return pattern.matches(value)
        case .freeEmail: return false
        }
    }

    /// `1200`, `1,200`, `1 200`, `12.5`; nil for anything else.
    static func number(_ text: String) -> Double? {
        let digits = text.filter { $0 != "," && $0 != " " && $0 != "_" }
        guard let number = Double(digits), number.isFinite else { return nil }
        return number
    }

    public var description: String {
        let name = attribute ?? ""
        switch test {
        case .atLeast(let bound): return "\(name) at least \(FitRule.format(bound))"
        case .atMost(let bound): return "\(name) at most \(FitRule.format(bound))"
        case .equals(let value): return "\(name) is \(value)"
        case .oneOf(let values): return "\(name) in [\(values.joined(separator: ", "))]"
        case .matches(let pattern): return "\(name) matches \(pattern.source)"
        case .freeEmail(let free): return free ? "a free mailbox address" : "not a free mailbox address"
        }
    }

    static func format(_ number: Double) -> String {
        number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : String(number)
    }
}

/// A regular expression from `nurture.yml` (never from lead data), kept with its text.
public struct FitPattern: @unchecked Sendable, Hashable {
    public let source: String
    // Regex is not marked Sendable, but it is an immutable value once compiled; it is
    // only ever matched, never changed.
    private let regex: Regex<AnyRegexOutput>

    public init(_ source: String) throws {
        self.source = source
        regex = try Regex(source)
    }

    public func matches(_ text: String) -> Bool { (try? regex.firstMatch(in: text)) != nil }

    public static func == (left: FitPattern, right: FitPattern) -> Bool { left.source == right.source }
    public func hash(into hasher: inout Hasher) { hasher.combine(source) }
}
