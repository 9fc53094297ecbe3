import Foundation

extension SendWindow {
    /// The first moment at or after `time` when this window is open in `zone`: `time`
    /// itself when it falls inside, else the next opening (skipping closed weekdays and
    /// `skipDates`). Nil only when the window can never open (no days at all).
    ///
    /// Works on wall-clock fields in the zone, so 09:00 stays 09:00 across daylight-saving
    /// changes; an opening that falls into a DST gap moves to the first valid minute after.
    public func nextOpening(atOrAfter time: Date, in zone: TimeZone) -> Date? {
        guard !days.isEmpty else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        var candidate = time
        // A year and a bit covers any mix of weekdays and skip dates.
        for _ in 0..<400 {
            let fields = calendar.dateComponents([.year, .month, .day, .weekday, .hour, .minute], from: candidate)
            let date = LocalDate(year: fields.year!, month: fields.month!, day: fields.day!)
            let minutes = fields.hour! * 60 + fields.minute!
            if days.contains(Weekday(rawValue: fields.weekday!)!), !skipDates.contains(date) {
                if minutes < opens.minutes {
                    return Self.wallClock(date, opens, calendar: calendar)
                }
                if minutes < closes.minutes { return candidate }
            }
            // Closed for the rest of this day: try the start of the next one.
            guard let nextDay = calendar.date(byAdding: .day, value: 1, to: calendar.startOfDay(for: candidate)) else {
                return nil
            }
            candidate = nextDay
        }
        return nil
    }

    /// Whether `time` falls inside the window.
    public func contains(_ time: Date, in zone: TimeZone) -> Bool {
        nextOpening(atOrAfter: time, in: zone) == time
    }

    static func wallClock(_ date: LocalDate, _ time: TimeOfDay, calendar: Calendar) -> Date {
        var components = DateComponents()
        (components.year, components.month, components.day) = (date.year, date.month, date.day)
        (components.hour, components.minute) = (time.hour, time.minute)
        // Foundation resolves a time inside a DST gap by moving it forward.
        return calendar.date(from: components)!
    }
}
