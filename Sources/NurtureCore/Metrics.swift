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
    /// What `nurture inbound` handled, by kind (bounce, complaint, auto-reply, other),
    /// the soft bounces it counted, and the leads it bounced, marked complained or
    /// heard reply (by event name: bounced, complained, replied).
    public var inboundByKind: [String: Int] = [:]
    public var softBounces = 0
    public var inboundEvents: [String: Int] = [:]
    /// Complaints over messages sent in the complaint guard's window, for the campaigns
    /// that had any; and the campaigns whose guard has tripped.
    public var complaintRates: [String: Double] = [:]
    public var guardsTripped: Set<String> = []
    /// The inbound kinds and events `/metrics` always shows, zero or not.
    public static let inboundKinds = ["bounce", "complaint", "auto-reply", "other"]
    public static let inboundEventNames = ["bounced", "complained", "replied"]
    /// Per campaign: messages sent, messages a person opened and clicked, conversions.
    public var campaigns: [String: CampaignCounts] = [:]

    public struct CampaignCounts: Sendable, Hashable {
        public var sent = 0
        public var opened = 0
        public var clicked = 0
        public var converted = 0

        public init(sent: Int = 0, opened: Int = 0, clicked: Int = 0, converted: Int = 0) {
            self.sent = sent
            self.opened = opened
            self.clicked = clicked
            self.converted = converted
        }
    }

    public init() {}

    /// The Prometheus exposition text (version 0.0.4).
    public var prometheusText: String {
        var lines: [String] = []
        func metric(_ type: String, _ name: String, _ help: String, _ samples: [(labels: String, value: String)]) {
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) \(type)")
            for sample in samples { lines.append("\(name)\(sample.labels) \(sample.value)") }
        }
        func gauge(_ name: String, _ help: String, _ samples: [(labels: String, value: String)]) {
            metric("gauge", name, help, samples)
        }
        gauge(
            "nurture_messages", "Messages by state.",
            MessageState.allCases.map { state in
                ("{state=\"\(state.rawValue)\"}", String(messagesByState[state.rawValue] ?? 0))
            })
        gauge(
            "nurture_leads", "Leads by status.",
            LeadStatus.allCases.map { status in
                ("{status=\"\(status.rawValue)\"}", String(leadsByStatus[status.rawValue] ?? 0))
            })
        gauge("nurture_active_enrollments", "Enrolments still in their drip.", [("", String(activeEnrollments))])
        gauge(
            "nurture_due_enrollments", "Enrolments whose next step is due now (the queue depth).",
            [("", String(dueNow))])
        for kind in ActivityKind.allCases {
            metric(
                "counter", "nurture_\(kind.rawValue)s_total",
                "\(kind.rawValue.capitalized) requests recorded, by who made them.",
                ActivityClass.allCases.map { ("{class=\"\($0.rawValue)\"}", String(activity[kind]?[$0] ?? 0)) })
        }
        metric(
            "counter", "nurture_unsubscribes_total", "Leads unsubscribed through a link.",
            [("", String(linkUnsubscribes))])
        metric(
            "counter", "nurture_inbound_messages_total", "Received messages nurture inbound handled, by kind.",
            Self.inboundKinds.map { ("{kind=\"\($0)\"}", String(inboundByKind[$0] ?? 0)) })
        metric("counter", "nurture_soft_bounces_total", "Soft bounces counted.", [("", String(softBounces))])
        gauge(
            "nurture_campaign_complaint_rate", "Complaints per message sent in the guard's window, by campaign.",
            complaintRates.keys.sorted().map { ("{campaign=\"\(Self.labelValue($0))\"}", String(complaintRates[$0]!)) })
        gauge(
            "nurture_campaign_complaint_guard_tripped", "1 while a campaign's complaint guard holds its mail.",
            guardsTripped.sorted().map { ("{campaign=\"\(Self.labelValue($0))\"}", "1") })
        metric(
            "counter", "nurture_inbound_lead_events_total",
            "Leads bounced, marked complained, or heard replying, from received mail.",
            Self.inboundEventNames.map { ("{event=\"\($0)\"}", String(inboundEvents[$0] ?? 0)) })
        // Per campaign, for a dashboard's rates. Opened and clicked are gauges: a click later
        // unmasked as a scanner's leaves the count, which a counter must never do.
        let ids = campaigns.keys.sorted()
        func perCampaign(_ value: (CampaignCounts) -> Int) -> [(labels: String, value: String)] {
            ids.map { ("{campaign=\"\(Self.labelValue($0))\"}", String(value(campaigns[$0]!))) }
        }
        metric("counter", "nurture_campaign_sent_total", "Messages sent, by campaign.", perCampaign(\.sent))
        gauge("nurture_campaign_opened_messages", "Sent messages a person opened, by campaign.", perCampaign(\.opened))
        gauge(
            "nurture_campaign_clicked_messages", "Sent messages a person clicked, by campaign.", perCampaign(\.clicked))
        metric(
            "counter", "nurture_campaign_conversions_total", "Drips ended by a goal event, by campaign.",
            perCampaign(\.converted))
        if let lastTickAt {
            gauge(
                "nurture_last_tick_timestamp_seconds", "When the last tick of the send loop finished.",
                [("", String(Int(lastTickAt.timeIntervalSince1970)))])
        }
        if let lastTickSeconds {
            gauge(
                "nurture_last_tick_duration_seconds", "How long the last tick took.",
                [("", String(format: "%.3f", lastTickSeconds))])
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A label value as the exposition format wants it: backslash, quote and line feed escaped.
    static func labelValue(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
