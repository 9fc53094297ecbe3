import Foundation

/// What `/metrics` exposes (Prometheus text format), read from the store.
public struct StoreMetrics: Sendable, Hashable {
    public var messagesByState: [String: Int] = [:]
    public var leadsByStatus: [String: Int] = [:]
    public var activeEnrollments = 0
    public var dueNow = 0
    public var lastTickAt: Date?
    public var lastTickSeconds: Double?
    /// Tracking requests by kind (open, click) and class (human, machine, unknown).
    public var activity: [ActivityKind: [ActivityClass: Int]] = [:]
    /// Unsubscribes through links (one-click or the page).
    public var linkUnsubscribes = 0

    public init() {}

    /// The Prometheus exposition text (version 0.0.4).
    public var prometheusText: String {
        var lines: [String] = []
        func gauge(_ name: String, _ help: String, _ samples: [(labels: String, value: String)]) {
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) gauge")
            for sample in samples { lines.append("\(name)\(sample.labels) \(sample.value)") }
        }
        gauge("nurture_messages", "Messages by state.", MessageState.allCases.map { state in
            ("{state=\"\(state.rawValue)\"}", String(messagesByState[state.rawValue] ?? 0))
        })
        gauge("nurture_leads", "Leads by status.", LeadStatus.allCases.map { status in
            ("{status=\"\(status.rawValue)\"}", String(leadsByStatus[status.rawValue] ?? 0))
        })
        gauge("nurture_active_enrollments", "Enrolments still in their drip.", [("", String(activeEnrollments))])
        gauge("nurture_due_enrollments", "Enrolments whose next step is due now (the queue depth).", [("", String(dueNow))])
        for kind in ActivityKind.allCases {
            let name = kind == .open ? "nurture_opens_total" : "nurture_clicks_total"
            lines.append("# HELP \(name) \(kind == .open ? "Open" : "Click") requests recorded, by who made them.")
            lines.append("# TYPE \(name) counter")
            for activityClass in ActivityClass.allCases {
                lines.append("\(name){class=\"\(activityClass.rawValue)\"} \(activity[kind]?[activityClass] ?? 0)")
            }
        }
        lines.append("# HELP nurture_unsubscribes_total Leads unsubscribed through a link.")
        lines.append("# TYPE nurture_unsubscribes_total counter")
        lines.append("nurture_unsubscribes_total \(linkUnsubscribes)")
        if let lastTickAt {
            gauge("nurture_last_tick_timestamp_seconds", "When the last tick of the send loop finished.", [("", String(Int(lastTickAt.timeIntervalSince1970)))])
        }
        if let lastTickSeconds {
            gauge("nurture_last_tick_duration_seconds", "How long the last tick took.", [("", String(format: "%.3f", lastTickSeconds))])
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// The store side of metrics.
public protocol MetricsStore: Sendable {
    func metrics(now: Date) async throws -> StoreMetrics
    /// Remembers the last tick (wall clock) for `/metrics`.
    func recordTick(finishedAt: Date, seconds: Double) async throws
}
