import Foundation

/// IANA time zone names, as the system's tz database knows them.
public enum TimeZoneNames {
    public static func isKnown(_ name: String) -> Bool {
        // Foundation also accepts abbreviations and offsets ("EST", "GMT+1"); a lead's
        // zone must be a real IANA region so that daylight-saving rules apply.
        name.contains("/") || name == "UTC" ? TimeZone(identifier: name) != nil : false
    }

    /// `"; did you mean 'Europe/Berlin'?"` or the empty string.
    static func suggestion(for name: String) -> String {
        Suggestion.closest(to: name, among: TimeZone.knownTimeZoneIdentifiers).map { "; did you mean '\($0)'?" } ?? ""
    }
}
