import Foundation
import NurtureCore

/// The text `leads show` prints.
enum LeadDescription {
    static func describe(_ lead: Lead) -> String {
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
            for key in lead.attributes.keys.sorted() { lines.append("    \(key): \(lead.attributes[key]!)") }
        }
        return lines.joined(separator: "\n")
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false).timeSeparator(.colon)) + "Z"
    }
}
