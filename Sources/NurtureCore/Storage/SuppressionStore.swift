import Foundation

/// The suppression list: addresses and whole domains no campaign may mail, whatever the
/// lead's status, on every sender (issue 37.4).
public protocol SuppressionStore: Sendable {
    /// Adds each entry not on the list yet (an address, or `@domain`, in `Suppression`'s
    /// normal form); returns how many were new.
    func suppress(_ patterns: [String], reason: String, now: Date) async throws -> Int

    /// Takes an entry off the list; false when it was not on it.
    func unsuppress(_ pattern: String) async throws -> Bool

    /// The whole list, in the order of its entries.
    func suppressions() async throws -> [Suppression]

    /// For each of `addresses` (lower case) that the list covers, the entry covering it:
    /// the address itself before its domain.
    func suppressionEntries(for addresses: [String]) async throws -> [String: String]
}

/// One entry of the suppression list.
public struct Suppression: Sendable, Hashable {
    public var pattern: String
    public var reason: String
    public var createdAt: Date

    public init(pattern: String, reason: String, createdAt: Date) {
        self.pattern = pattern
        self.reason = reason
        self.createdAt = createdAt
    }

    /// An entry as the list keeps it: an address in lower case, or `@` and a domain in
    /// lower case; nil for anything else.
    public static func pattern(_ text: String) -> String? {
        let text = text.trimmingCharacters(in: .whitespaces).lowercased()
        if text.hasPrefix("@") {
            guard let address = try? EmailAddress("x" + text) else { return nil }
            return "@" + address.domain
        }
        return (try? EmailAddress(text))?.address.lowercased()
    }

    /// The entries that would cover `address`: itself, then its domain.
    public static func candidates(for address: String) -> [String] {
        let lower = address.lowercased()
        guard let at = lower.lastIndex(of: "@") else { return [lower] }
        return [lower, String(lower[at...])]
    }
}
