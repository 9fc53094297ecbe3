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
///
/// ISO 8601 only, so that `12/04/2026` (December or April?) is never guessed: a date
/// (`2030-05-01`, midnight in the lead's zone), a date-time with a zone
/// (`2030-05-01T14:30:00Z`, `2030-05-01T14:30:00+02:00`, fractions allowed), or a
/// date-time without one (`2030-05-01T14:30`, `2030-05-01 14:30:00`, in the lead's zone).
public enum AttributeDate {
    /// The moment, or nil when the text is none of the forms above.
    public static func parse(_ text: String, zone: TimeZone) -> Date? {
        let trimmed = TextChecks.trimmed(text)
        if let date = LocalDate(parsing: trimmed) {
            return calendar(zone).date(from: DateComponents(year: date.year, month: date.month, day: date.day))
        }
        if let local = localDateTime(trimmed, zone: zone) { return local }
        let withSeconds = Date.ISO8601FormatStyle()
        if let date = try? withSeconds.parse(trimmed) { return date }
        let withFraction = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        return try? withFraction.parse(trimmed)
    }

    /// Whether the text is in one of the forms above (which does not depend on the zone).
    public static func isDate(_ text: String) -> Bool { parse(text, zone: TimeZone(identifier: "UTC")!) != nil }

    /// When the date is over: the end of the day for a date, the moment for a date-time.
    public static func end(of text: String, zone: TimeZone) -> Date? {
        let trimmed = TextChecks.trimmed(text)
        if LocalDate(parsing: trimmed) != nil, let start = parse(trimmed, zone: zone) {
            return calendar(zone).date(byAdding: .day, value: 1, to: start)
        }
        return parse(trimmed, zone: zone)
    }

    /// `YYYY-MM-DD[T| ]HH:MM[:SS]` with no zone: a wall-clock time in `zone`.
    static func localDateTime(_ text: String, zone: TimeZone) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count == 16 || bytes.count == 19, bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: " "),
            let date = LocalDate(parsing: String(decoding: bytes[0..<10], as: UTF8.self))
        else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            guard bytes[range].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            return Int(String(decoding: bytes[range], as: UTF8.self))
        }
        guard bytes[13] == UInt8(ascii: ":"), let hour = number(11..<13), let minute = number(14..<16), hour < 24,
            minute < 60
        else { return nil }
        var second = 0
        if bytes.count == 19 {
            guard bytes[16] == UInt8(ascii: ":"), let value = number(17..<19), value < 60 else { return nil }
            second = value
        }
        return calendar(zone).date(
            from: DateComponents(
                year: date.year, month: date.month, day: date.day, hour: hour, minute: minute, second: second))
    }

    private static func calendar(_ zone: TimeZone) -> Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        return calendar
    }
}
