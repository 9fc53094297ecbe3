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
        func metric(_ type: String, _ name: String, _ help: String, _ samples: [(labels: String, value: String)]) {
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) \(type)")
            for sample in samples { lines.append("\(name)\(sample.labels) \(sample.value)") }
        }
        func gauge(_ name: String, _ help: String, _ samples: [(labels: String, value: String)]) { metric("gauge", name, help, samples) }
        gauge("nurture_messages", "Messages by state.", MessageState.allCases.map { state in
            ("{state=\"\(state.rawValue)\"}", String(messagesByState[state.rawValue] ?? 0))
        })
        gauge("nurture_leads", "Leads by status.", LeadStatus.allCases.map { status in
            ("{status=\"\(status.rawValue)\"}", String(leadsByStatus[status.rawValue] ?? 0))
        })
        gauge("nurture_active_enrollments", "Enrolments still in their drip.", [("", String(activeEnrollments))])
        gauge("nurture_due_enrollments", "Enrolments whose next step is due now (the queue depth).", [("", String(dueNow))])
        for kind in ActivityKind.allCases {
            metric("counter", "nurture_\(kind.rawValue)s_total", "\(kind.rawValue.capitalized) requests recorded, by who made them.",
                   ActivityClass.allCases.map { ("{class=\"\($0.rawValue)\"}", String(activity[kind]?[$0] ?? 0)) })
        }
        metric("counter", "nurture_unsubscribes_total", "Leads unsubscribed through a link.", [("", String(linkUnsubscribes))])
        if let lastTickAt {
            gauge("nurture_last_tick_timestamp_seconds", "When the last tick of the send loop finished.", [("", String(Int(lastTickAt.timeIntervalSince1970)))])
        }
        if let lastTickSeconds {
            gauge("nurture_last_tick_duration_seconds", "How long the last tick took.", [("", String(format: "%.3f", lastTickSeconds))])
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

