/// A day of the week, as written in campaign files.
public enum Weekday: Int, Sendable, Hashable, CaseIterable, Comparable {
    // Gregorian calendar numbering (Sunday = 1), so Foundation's weekday matches.
    case sun = 1
    case mon, tue, wed, thu, fri, sat

    public var name: String { String(describing: self) }

    public static func < (lhs: Weekday, rhs: Weekday) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Accepts `mon`, `Monday`, `MON`.
    public init?(name: String) {
        let key = name.lowercased()
        guard key.count >= 3,
            let day = Weekday.allCases.first(where: { key == $0.name || key == $0.fullName })
        else { return nil }
        self = day
    }

    var fullName: String {
        ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"][rawValue - 1]
    }
}

/// A wall-clock time of day in minutes after midnight.
public struct TimeOfDay: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var minutes: Int

    public init(hour: Int, minute: Int) { self.minutes = hour * 60 + minute }

    public var hour: Int { minutes / 60 }
    public var minute: Int { minutes % 60 }

    public var description: String {
        let h = hour < 10 ? "0\(hour)" : "\(hour)"
        let m = minute < 10 ? "0\(minute)" : "\(minute)"
        return "\(h):\(m)"
    }

    public static func < (lhs: TimeOfDay, rhs: TimeOfDay) -> Bool { lhs.minutes < rhs.minutes }

    /// `HH:MM`, 00:00 to 24:00 (24:00 meaning the end of the day).
    public init?(parsing text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[1].count == 2, (1...2).contains(parts[0].count),
            let hour = Int(parts[0]), let minute = Int(parts[1]),
            (0...24).contains(hour), (0...59).contains(minute), hour < 24 || minute == 0
        else { return nil }
        self.init(hour: hour, minute: minute)
    }
}

/// A calendar date without a time zone (`2030-12-25`).
public struct LocalDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    public init?(parsing text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            (1...12).contains(month), day >= 1, day <= LocalDate.daysIn(month: month, year: year)
        else { return nil }
        self.init(year: year, month: month, day: day)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    public var description: String {
        func pad(_ n: Int, _ width: Int) -> String {
            let s = String(n)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    public static func < (lhs: LocalDate, rhs: LocalDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }
}

/// When a campaign may send, in the lead's own time zone (else `timeZone`, else the
/// installation's default zone): on `days`, between `opens` and `closes`, never on
/// `skipDates`.
public struct SendWindow: Sendable, Hashable {
    public var days: Set<Weekday>
    public var opens: TimeOfDay
    public var closes: TimeOfDay
    public var skipDates: Set<LocalDate>
    /// The zone for leads who have none of their own; nil falls back to the default zone.
    public var timeZone: String?

    public init(
        days: Set<Weekday> = Set(Weekday.allCases), opens: TimeOfDay = TimeOfDay(hour: 0, minute: 0),
        closes: TimeOfDay = TimeOfDay(hour: 24, minute: 0), skipDates: Set<LocalDate> = [], timeZone: String? = nil
    ) {
        self.days = days
        self.opens = opens
        self.closes = closes
        self.skipDates = skipDates
        self.timeZone = timeZone
    }
}
