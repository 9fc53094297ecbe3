import Foundation

extension CampaignParser {
    static let sendWindowKeys = ["days", "hours", "skip_dates", "timezone"]

    func parseSendWindow(_ node: YAMLNode, into diagnostics: inout DiagnosticBag) -> SendWindow? {
        guard !node.isNull, let map = MappingReader(node, what: "'send_window'", into: &diagnostics) else { return nil }
        map.rejectUnknownKeys(allowed: Self.sendWindowKeys, in: "'send_window'", into: &diagnostics)
        var window = SendWindow()

        let days = map.textList("days", into: &diagnostics)
        if !days.isEmpty {
            window.days = []
            for day in days {
                guard let weekday = Weekday(name: day.text) else {
                    let names = Weekday.allCases.map(\.name)
                    // Compare with full names too ("fryday" is close to "friday", not to "fri").
                    let guess =
                        Suggestion.closest(to: day.text, among: Weekday.allCases.flatMap { [$0.name, $0.fullName] })
                        .flatMap(Weekday.init(name:)).map { "did you mean '\($0.name)'? " } ?? ""
                    diagnostics.error(
                        at: day.node.location, "'\(day.text)' is not a day of the week",
                        hint: "\(guess)use \(names.joined(separator: ", "))")
                    continue
                }
                window.days.insert(weekday)
            }
        }
        if let hours = map.optionalText("hours", into: &diagnostics) {
            if let (opens, closes) = Self.parseHours(hours.text) {
                window.opens = opens
                window.closes = closes
            } else {
                diagnostics.error(
                    at: hours.node.location, "'hours' must be a range like \"09:00-17:00\", not '\(hours.text)'",
                    hint: "24-hour clock, start before end, in quotes")
            }
        }
        for date in map.textList("skip_dates", into: &diagnostics) {
            guard let parsed = LocalDate(parsing: date.text) else {
                diagnostics.error(
                    at: date.node.location, "'\(date.text)' is not a date",
                    hint: "write dates as YYYY-MM-DD, like 2030-12-25")
                continue
            }
            window.skipDates.insert(parsed)
        }
        if let zone = map.optionalText("timezone", into: &diagnostics) {
            if isKnownTimeZone(zone.text) {
                window.timeZone = zone.text
            } else {
                diagnostics.error(
                    at: zone.node.location, "unknown time zone '\(zone.text)'",
                    hint:
                        "use an IANA name like Europe/Berlin or America/New_York\(TimeZoneNames.suggestion(for: zone.text))"
                )
            }
        }
        return window
    }

    /// `"09:00-17:00"`: start strictly before end, both on the same day.
    static func parseHours(_ text: String) -> (TimeOfDay, TimeOfDay)? {
        let parts = text.split(separator: "-").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, let opens = TimeOfDay(parsing: parts[0]), let closes = TimeOfDay(parsing: parts[1]),
            opens < closes
        else {
            return nil
        }
        return (opens, closes)
    }
}
