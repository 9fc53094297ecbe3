import Foundation

/// A sent message, as `report CAMPAIGN --by day|week|month` counts it.
public struct SentMessage: Sendable, Hashable {
    public var row: Int64
    public var enrollmentID: Int64
    public var step: String
    public var sentAt: Date
    /// A person opened it / clicked one of its links (machines never count).
    public var opened: Bool
    public var clicked: Bool
    /// Its lead unsubscribed through this step's link.
    public var unsubscribed: Bool
    /// Its drip ended by a goal event.
    public var enrollmentConverted: Bool
    /// The A/B variant it was (nil: its step had none).
    public var variant: String?

    public init(
        row: Int64, enrollmentID: Int64, step: String, sentAt: Date, opened: Bool, clicked: Bool, unsubscribed: Bool,
        enrollmentConverted: Bool,
        variant: String? = nil
    ) {
        self.variant = variant
        self.row = row
        self.enrollmentID = enrollmentID
        self.step = step
        self.sentAt = sentAt
        self.opened = opened
        self.clicked = clicked
        self.unsubscribed = unsubscribed
        self.enrollmentConverted = enrollmentConverted
    }
}

/// Per step and period (the period a message was sent in, in the report's time zone):
/// sent, messages a person opened and clicked, unsubscribes through the step's link, and
/// conversions credited to the step (the last step sent before the goal, as in `report`).
/// Rates are per message sent, so a period's cohort is measured as a whole.
public struct PeriodReport: Sendable, Hashable {
    public enum Granularity: String, Sendable, CaseIterable {
        case day, week, month
    }

    public struct Row: Sendable, Hashable {
        /// The period's first day, `YYYY-MM-DD` (weeks start on Monday).
        public var period: String
        public var step: String
        public var sent = 0
        public var opened = 0
        public var clicked = 0
        public var unsubscribed = 0
        public var converted = 0

        public var openRate: Double? { sent > 0 ? Double(opened) / Double(sent) : nil }
        public var clickRate: Double? { sent > 0 ? Double(clicked) / Double(sent) : nil }
        public var unsubscribeRate: Double? { sent > 0 ? Double(unsubscribed) / Double(sent) : nil }
        public var conversionRate: Double? { sent > 0 ? Double(converted) / Double(sent) : nil }
    }

    public var rows: [Row]

    public init(messages: [SentMessage], stepOrder: [String], granularity: Granularity, zone: TimeZone) {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = zone
        let credited = Set(
            ConversionCredit.credited(
                messages.filter(\.enrollmentConverted), enrollment: \.enrollmentID, sentAt: \.sentAt, row: \.row
            ).map(\.row))
        var rows: [String: Row] = [:]
        for message in messages {
            let period = Self.period(of: message.sentAt, granularity, calendar)
            var row = rows["\(period)\u{0}\(message.step)"] ?? Row(period: period, step: message.step)
            row.sent += 1
            if message.opened { row.opened += 1 }
            if message.clicked { row.clicked += 1 }
            if message.unsubscribed { row.unsubscribed += 1 }
            if credited.contains(message.row) { row.converted += 1 }
            rows["\(period)\u{0}\(message.step)"] = row
        }
        func rank(_ step: String) -> Int { stepOrder.firstIndex(of: step) ?? stepOrder.count }
        self.rows = rows.values.sorted { ($0.period, rank($0.step), $0.step) < ($1.period, rank($1.step), $1.step) }
    }

    /// The first day of the period `date` falls in, in the calendar's zone.
    static func period(of date: Date, _ granularity: Granularity, _ calendar: Calendar) -> String {
        let start: Date
        switch granularity {
        case .day: start = calendar.startOfDay(for: date)
        case .week: start = calendar.dateInterval(of: .weekOfYear, for: date)?.start ?? date
        case .month: start = calendar.dateInterval(of: .month, for: date)?.start ?? date
        }
        let parts = calendar.dateComponents([.year, .month, .day], from: start)
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }
}
