import Foundation
import NurtureCore
import Testing

@Suite struct HTTPDateTests {
    @Test func matchesTheIMFFixdateOfAFormatter() {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        // The epoch, leap days, a century that is not a leap year, one that is, today,
        // the end of a year, and dates before 1970.
        let samples: [Int64] = [
            0, 59, 951_782_400, 951_868_799, 4_107_542_400, 1_796_195_219, 1_798_761_599, -1, -86_401, -2_208_988_800,
        ]
        for seconds in samples {
            let expected = formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
            #expect(HTTPDate.text(epochSeconds: seconds) == expected, "\(seconds)")
        }
        #expect(HTTPDate.text(epochSeconds: 1_796_281_619) == "Thu, 03 Dec 2026 07:06:59 GMT")
    }

    @Test func everyDayOfFourHundredYearsAgreesWithTheCalendar() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "GMT")!
        for day in stride(from: Int64(-365 * 200), to: 365 * 200, by: 37) {
            let seconds = day * 86_400 + 45_296
            let parts = calendar.dateComponents(
                [.year, .month, .day, .weekday], from: Date(timeIntervalSince1970: TimeInterval(seconds)))
            let text = HTTPDate.text(epochSeconds: seconds)
            let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
            let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
            let day = parts.day! < 10 ? "0\(parts.day!)" : "\(parts.day!)"
            let expected =
                "\(weekdays[parts.weekday! - 1]), \(day) \(months[parts.month! - 1]) \(parts.year!) 12:34:56 GMT"
            #expect(text == expected)
        }
    }
}
