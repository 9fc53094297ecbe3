import ArgumentParser
import Foundation

/// `--now 2030-01-07T10:00:00Z` (an offset like `+02:00` works too; seconds may be left out).
struct TimeArgument: ExpressibleByArgument {
    let date: Date

    init?(argument: String) {
        guard let date = Self.parse(argument) ?? Self.parse(Self.addingSeconds(argument)) else { return nil }
        self.date = date
    }

    static func parse(_ text: String) -> Date? {
        (try? Date.ISO8601FormatStyle().parse(text))
            ?? (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text))
    }

    /// `2030-01-07T10:00Z` → `2030-01-07T10:00:00Z`.
    static func addingSeconds(_ text: String) -> String {
        let characters = Array(text)
        guard characters.count >= 17, characters[10] == "T", characters[13] == ":",
            characters.count == 16 || characters[16] != ":"
        else { return text }
        return String(characters[..<16]) + ":00" + String(characters[16...])
    }

    static var defaultValueDescription: String { "ISO 8601, like 2030-01-07T10:00:00Z" }
}

/// How the commands print times: UTC, and optionally the wall clock in a zone.
enum TimeText {
    static func utc(_ date: Date) -> String {
        local(date, zone: TimeZone(identifier: "UTC")!)
    }

    /// `Mon 2030-01-07 10:00 Europe/Berlin`
    static func local(_ date: Date, zone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let c = calendar.dateComponents([.weekday, .year, .month, .day, .hour, .minute], from: date)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let day = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][c.weekday! - 1]
        // Foundation on Linux names UTC "GMT"; say what people expect.
        let name = zone.secondsFromGMT() == 0 && ["GMT", "UTC"].contains(zone.identifier) ? "UTC" : zone.identifier
        return "\(day) \(c.year!)-\(two(c.month!))-\(two(c.day!)) \(two(c.hour!)):\(two(c.minute!)) \(name)"
    }
}
