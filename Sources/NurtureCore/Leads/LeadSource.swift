import Foundation

/// Where a lead came from: its first touch, in UTM terms (`utm_source`, `utm_medium`,
/// `utm_campaign`). Kept as the first capture gave it: later captures of the same lead
/// change nothing, so a lead is credited to the source that brought it.
public struct LeadSource: Sendable, Hashable {
    public var source: String?
    public var medium: String?
    public var campaign: String?

    /// Values from forms and files, cleaned: trimmed, control characters dropped, at most
    /// `limit` characters; nil when nothing is left of any of them.
    public init?(source: String?, medium: String? = nil, campaign: String? = nil) {
        self.source = Self.clean(source)
        self.medium = Self.clean(medium)
        self.campaign = Self.clean(campaign)
        if self.source == nil && self.medium == nil && self.campaign == nil { return nil }
    }

    public static let limit = 200

    static func clean(_ text: String?) -> String? {
        guard let text else { return nil }
        // C0 and C1 controls and DEL (line breaks among them): these end up in pages and CSV.
        let kept = String(
            String.UnicodeScalarView(
                text.unicodeScalars.filter { !($0.value < 0x20 || (0x7F...0x9F).contains($0.value)) })
        )
        .trimmingCharacters(in: .whitespaces)
        return kept.isEmpty ? nil : String(kept.prefix(limit))
    }

    /// `ads / cpc / spring`, with `-` for a part not given.
    public var description: String { [source, medium, campaign].map { $0 ?? "-" }.joined(separator: " / ") }
}
