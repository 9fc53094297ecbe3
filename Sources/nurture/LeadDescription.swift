import Foundation
import NurtureCore

/// The text `leads show` prints.
enum LeadDescription {
    static func describe(_ lead: Lead, dateAttributes: Set<String> = [], zone: TimeZone = TimeZone(identifier: "UTC")!) -> String {
        var lines = ["\(lead.email)  (\(lead.status.rawValue), score \(lead.score))"]
        let name = [lead.firstName, lead.lastName].compactMap { $0 }.joined(separator: " ")
        lines.append("  name:       \(name.isEmpty ? "-" : name)")
        lines.append("  time zone:  \(lead.timeZone ?? "- (campaign or default zone)")")
        lines.append("  tags:       \(lead.tags.isEmpty ? "-" : lead.tags.sorted().joined(separator: ", "))")
        if let created = lead.createdAt { lines.append("  created:    \(timestamp(created))") }
        if lead.attributes.isEmpty {
            lines.append("  attributes: -")
        } else {
            lines.append("  attributes:")
            for key in lead.attributes.keys.sorted() {
                let value = lead.attributes[key]!
                let lacksDate = dateAttributes.contains(key) && AttributeDate.parse(value, zone: lead.timeZone.flatMap(TimeZone.init(identifier:)) ?? zone) == nil
                lines.append("    \(key): \(value)\(lacksDate ? "   (not a date: '\(value)'; write ISO 8601, like 2030-12-04)" : "")")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// Enrolments, then messages and events in time order.
    static func describe(_ timeline: LeadTimeline) -> String {
        var lines = ["  enrolments:\(timeline.enrollments.isEmpty ? " -" : "")"]
        for enrollment in timeline.enrollments {
            var line = "    \(enrollment.campaignID): \(enrollment.state) since \(TimeText.utc(enrollment.enrolledAt))"
            if let due = enrollment.nextDueAt { line += "; next \(enrollment.nextStep ?? "step") at \(TimeText.utc(due))" }
            if let ended = enrollment.endedAt { line += "; ended \(TimeText.utc(ended))" }
            if let reason = enrollment.endReason { line += " (\(reason))" }
            lines.append(line)
        }
        var entries: [(Date, String)] = timeline.messages.map { message in
            (message.at, "\(TimeText.utc(message.at))  \(message.campaignID)/\(message.step)  \(message.state.rawValue)\(message.detail.map { " (\($0))" } ?? "")")
        }
        entries += timeline.events.map { ($0.at, "\(TimeText.utc($0.at))  event \($0.name)") }
        lines.append("  timeline:\(entries.isEmpty ? " -" : "")")
        for entry in entries.sorted(by: { $0.0 < $1.0 }) { lines.append("    \(entry.1)") }
        return lines.joined(separator: "\n")
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false).timeSeparator(.colon)) + "Z"
    }
}
