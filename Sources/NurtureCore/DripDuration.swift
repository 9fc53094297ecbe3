import Foundation

/// A wait written in a campaign file: `30m`, `2h`, `3d`, `1w`, or a sum like `1d12h`;
/// negative (`-3d`) only where an offset allows it.
///
/// Minutes and hours are exact spans of time. Days and weeks are calendar days in the
/// lead's time zone, so "2d" after Monday 10:00 is Wednesday 10:00 even across a
/// daylight-saving change; the scheduler applies them, this type only keeps them apart.
public struct DripDuration: Sendable, Hashable, CustomStringConvertible {
    public var minutes: Int
    public var days: Int

    public init(minutes: Int = 0, days: Int = 0) {
        self.minutes = minutes
        self.days = days
    }

    public static let zero = DripDuration()

    public var isNegative: Bool { minutes < 0 || days < 0 }

    public var description: String {
        if minutes == 0 && days == 0 { return "0m" }
        var text = days < 0 || minutes < 0 ? "-" : ""
        var days = abs(days)
        let weeks = days / 7
        if weeks > 0, days % 7 == 0 {
            text += "\(weeks)w"
            days = 0
        }
        if days > 0 { text += "\(days)d" }
        let hours = abs(minutes) / 60
        let rest = abs(minutes) % 60
        if hours > 0 { text += "\(hours)h" }
        if rest > 0 { text += "\(rest)m" }
        return text
    }

    public enum ParseError: Error, Equatable {
        case empty
        case malformed
        case tooLarge
    }

    /// Parses `N<unit>` parts (m, h, d, w) with an optional leading minus.
    public static func parse(_ text: String) throws(ParseError) -> DripDuration {
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        guard !rest.isEmpty else { throw .empty }
        var sign = 1
        if rest.first == "-" {
            sign = -1
            rest = rest.dropFirst()
        }
        guard !rest.isEmpty else { throw .malformed }
        var result = DripDuration()
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, let number = Int(digits), number <= 1_000_000 else {
                throw digits.count > 7 ? .tooLarge : .malformed
            }
            rest = rest.dropFirst(digits.count)
            guard let unit = rest.first else { throw .malformed }
            rest = rest.dropFirst()
            switch unit {
            case "m": result.minutes += number
            case "h": result.minutes += number * 60
            case "d": result.days += number
            case "w": result.days += number * 7
            default: throw .malformed
            }
        }
        guard result.days <= 3660, result.minutes <= 3660 * 1440 else { throw .tooLarge }
        return DripDuration(minutes: sign * result.minutes, days: sign * result.days)
    }
}
