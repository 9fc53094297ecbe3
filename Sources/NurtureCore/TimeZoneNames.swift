import Foundation
import Synchronization

/// IANA time zone names, as the system's tz database knows them.
public enum TimeZoneNames {
    /// Answers are remembered: an import asks about the same few zones a million times,
    /// and each TimeZone lookup reads the tz database.
    private static let known = Mutex<[String: Bool]>([:])

    public static func isKnown(_ name: String) -> Bool {
        if let answer = known.withLock({ $0[name] }) { return answer }
        // Foundation also accepts abbreviations and offsets ("EST", "GMT+1"); a lead's
        // zone must be a real IANA region so that daylight-saving rules apply.
        let answer = name.contains("/") || name == "UTC" ? TimeZone(identifier: name) != nil : false
        known.withLock { cache in
            if cache.count < 10_000 { cache[name] = answer }
        }
        return answer
    }

    /// `"; did you mean 'Europe/Berlin'?"` or the empty string.
    static func suggestion(for name: String) -> String {
        Suggestion.closest(to: name, among: TimeZone.knownTimeZoneIdentifiers).map { "; did you mean '\($0)'?" } ?? ""
    }
}
