import Foundation

extension Date {
    /// Whole seconds since 1970, as the store keeps times.
    package var epochSeconds: Int64 { Int64(timeIntervalSince1970.rounded(.down)) }

    package init(epochSeconds: Int64) { self.init(timeIntervalSince1970: TimeInterval(epochSeconds)) }

    /// Milliseconds since 1970, for times finer than the store's seconds (tracking).
    package var epochMilliseconds: Int64 { Int64((timeIntervalSince1970 * 1000).rounded(.down)) }

    package init(epochMilliseconds: Int64) { self.init(timeIntervalSince1970: TimeInterval(epochMilliseconds) / 1000) }

    /// `2030-01-07T10:00:00Z`: how times are written for tools (JSON output, webhooks).
    public var iso8601Seconds: String {
        formatted(
            .iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false).timeSeparator(
                .colon)) + "Z"
    }
}
