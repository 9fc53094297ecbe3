import Foundation

extension DripDuration {
    /// `time` moved by this duration: days on the calendar of `zone` (keeping the wall
    /// clock across daylight-saving changes), minutes as exact seconds.
    public func added(to time: Date, in zone: TimeZone) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let shifted = days == 0 ? time : calendar.date(byAdding: .day, value: days, to: time) ?? time
        return shifted.addingTimeInterval(TimeInterval(minutes * 60))
    }
}

/// A date of the lead's own, read from a custom attribute (`trial_ends_at`).
public enum AttributeDate {
    /// `2030-05-01` (midnight in the lead's zone), or an ISO 8601 date-time with a zone
    /// (`2030-05-01T14:30:00Z`, `2030-05-01T14:30:00+02:00`). Nil when it is neither.
    public static func parse(_ text: String, zone: TimeZone) -> Date? {
        let trimmed = TextChecks.trimmed(text)
        if let date = LocalDate(parsing: trimmed) {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = zone
            return calendar.date(from: DateComponents(year: date.year, month: date.month, day: date.day))
        }
        let withSeconds = Date.ISO8601FormatStyle()
        if let date = try? withSeconds.parse(trimmed) { return date }
        let withFraction = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        return try? withFraction.parse(trimmed)
    }
}
