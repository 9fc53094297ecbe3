import Foundation
import NurtureCore
import Testing

/// Issue 15.2: a campaign over time, by the period each message was sent in the
/// report's zone, across a daylight-saving change.
@Suite struct PeriodReportTests {
    func at(_ text: String) throws -> Date { try Date.ISO8601FormatStyle().parse(text) }

    func message(
        _ row: Int64, _ step: String, _ sent: String, enrollment: Int64, opened: Bool = false, clicked: Bool = false,
        unsubscribed: Bool = false, converted: Bool = false
    ) throws -> SentMessage {
        SentMessage(
            row: row, enrollmentID: enrollment, step: step, sentAt: try at(sent), opened: opened, clicked: clicked,
            unsubscribed: unsubscribed, enrollmentConverted: converted)
    }

    /// Berlin moves to summer time on Sunday 2030-03-31: the day is 23 hours long.
    var messages: [SentMessage] {
        get throws {
            [
                // 00:30 CET, the 31st
                try message(1, "welcome", "2030-03-30T23:30:00Z", enrollment: 1, opened: true, converted: true),
                // 23:30 CEST, the 31st
                try message(2, "welcome", "2030-03-31T21:30:00Z", enrollment: 2, opened: true, clicked: true),
                // 00:30 CEST, April 1st
                try message(3, "welcome", "2030-03-31T22:30:00Z", enrollment: 3, unsubscribed: true),
                // Enrolment 1's last send.
                try message(4, "tips", "2030-04-02T08:00:00Z", enrollment: 1, opened: true, converted: true),
            ]
        }
    }

    @Test func daysFollowTheZonesCalendarAcrossTheChange() throws {
        let report = PeriodReport(
            messages: try messages, stepOrder: ["welcome", "tips"], granularity: .day,
            zone: TimeZone(identifier: "Europe/Berlin")!)
        #expect(
            report.rows.map { "\($0.period) \($0.step) \($0.sent)" } == [
                "2030-03-31 welcome 2", "2030-04-01 welcome 1", "2030-04-02 tips 1",
            ])
        let first = report.rows[0]
        #expect(first.opened == 2 && first.clicked == 1 && first.openRate == 1 && first.clickRate == 0.5)
        #expect(first.converted == 0, "the conversion goes to the last step sent: tips")
        #expect(report.rows[1].unsubscribed == 1 && report.rows[1].unsubscribeRate == 1)
        #expect(report.rows[2].converted == 1 && report.rows[2].conversionRate == 1)
        // In UTC the same sends fall on other days.
        let utc = PeriodReport(messages: try messages, stepOrder: ["welcome", "tips"], granularity: .day, zone: .gmt)
        #expect(utc.rows.map(\.period) == ["2030-03-30", "2030-03-31", "2030-04-02"])
    }

    @Test func weeksStartOnMondayAndMonthsOnTheFirst() throws {
        let zone = TimeZone(identifier: "Europe/Berlin")!
        let weeks = PeriodReport(
            messages: try messages, stepOrder: ["welcome", "tips"], granularity: .week, zone: zone)
        #expect(
            weeks.rows.map { "\($0.period) \($0.step) \($0.sent)" } == [
                "2030-03-25 welcome 2", "2030-04-01 welcome 1", "2030-04-01 tips 1",
            ])
        let months = PeriodReport(
            messages: try messages, stepOrder: ["welcome", "tips"], granularity: .month, zone: zone)
        #expect(
            months.rows.map { "\($0.period) \($0.step) \($0.sent)" } == [
                "2030-03-01 welcome 2", "2030-04-01 welcome 1", "2030-04-01 tips 1",
            ])
    }
}
