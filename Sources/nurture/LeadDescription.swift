import Foundation
import NurtureCore

/// The text `leads show` prints.
enum LeadDescription {
    /// `stageOrder`: the funnel's stages in order, to list the lead's in that order.
    static func describe(_ lead: Lead, dateAttributes: Set<String> = [], stageOrder: [String] = []) -> String {
        var lines = ["\(lead.email)  (\(lead.status.rawValue), score \(lead.score.totalText))"]
        let name = [lead.firstName, lead.lastName].compactMap { $0 }.joined(separator: " ")
        lines.append("  name:       \(name.isEmpty ? "-" : name)")
        lines.append("  time zone:  \(lead.timeZone ?? "- (campaign or default zone)")")
        lines.append("  tags:       \(lead.tags.isEmpty ? "-" : lead.tags.sorted().joined(separator: ", "))")
        if let created = lead.createdAt { lines.append("  created:    \(timestamp(created))") }
        if let source = lead.source {
            lines.append("  source:     \(source.description)  (source / medium / campaign)")
        }
        if !lead.stages.isEmpty {
            lines.append("  stages:     \(StageRules.ordered(lead.stages, by: stageOrder).joined(separator: ", "))")
        }
        lines.append(
            "  score:      \(lead.score.totalText) = fit \(lead.score.fit) + engagement \(LeadScore.text(lead.score.engagement))"
        )
        for rule in lead.score.fitRules {
            lines.append("    fit \(rule.points >= 0 ? "+" : "")\(rule.points): \(rule)")
        }
        if lead.attributes.isEmpty {
            lines.append("  attributes: -")
        } else {
            lines.append("  attributes:")
            for key in lead.attributes.keys.sorted() {
                let value = lead.attributes[key]!
                let lacksDate = dateAttributes.contains(key) && !AttributeDate.isDate(value)
                lines.append(
                    "    \(key): \(value)\(lacksDate ? "   (not a date: '\(value)'; write ISO 8601, like 2030-12-04)" : "")"
                )
            }
        }
        return lines.joined(separator: "\n")
    }

    /// Enrolments, then messages, events, opens, clicks and score changes in time order;
    /// each change with what it is worth at `time` when points decay.
    static func describe(_ timeline: LeadTimeline, scoreRules: ScoreRules = ScoreRules(), at time: Date) -> String {
        var lines = ["  enrolments:\(timeline.enrollments.isEmpty ? " -" : "")"]
        for enrollment in timeline.enrollments {
            var line = "    \(enrollment.campaignID): \(enrollment.state) since \(TimeText.utc(enrollment.enrolledAt))"
            if let due = enrollment.nextDueAt {
                line += "; next \(enrollment.nextStep ?? "step") at \(TimeText.utc(due))"
            }
            if let ended = enrollment.endedAt { line += "; ended \(TimeText.utc(ended))" }
            if let reason = enrollment.endReason { line += " (\(reason))" }
            if let held = enrollment.heldReason { line += " (\(held))" }
            lines.append(line)
        }
        var entries: [(Date, String)] = timeline.messages.map { message in
            let variant = message.variant.map { " (variant \($0))" } ?? ""
            return (
                message.at,
                "\(TimeText.utc(message.at))  \(message.campaignID)/\(message.step)\(variant)  \(message.state.rawValue)\(message.detail.map { " (\($0))" } ?? "")"
            )
        }
        entries += timeline.events.map { event in
            let details = event.attributes.keys.sorted().map { "\($0)=\(event.attributes[$0]!)" }.joined(separator: " ")
            return (event.at, "\(TimeText.utc(event.at))  event \(event.name)\(details.isEmpty ? "" : " (\(details))")")
        }
        entries += timeline.activity.map { item in
            let what =
                item.kind == .open
                ? "opened" : item.decoy ? "followed the hidden decoy link" : "clicked \(item.url ?? "?")"
            return (
                item.at,
                "\(TimeText.utc(item.at))  \(item.campaignID)/\(item.step)  \(what)  [\(item.activityClass): \(item.reason)]"
            )
        }
        entries += timeline.scoreChanges(rules: scoreRules).map { change in
            let worth =
                scoreRules.halfLife == nil || change.at > time
                ? "" : ", worth \(LeadScore.text(scoreRules.worth(of: change, at: time))) now"
            return (
                change.at,
                "\(TimeText.utc(change.at))  score \(change.points >= 0 ? "+" : "")\(change.points) (\(change.reason)\(worth))"
            )
        }
        lines.append("  timeline:\(entries.isEmpty ? " -" : "")")
        for entry in entries.sorted(by: { $0.0 < $1.0 }) { lines.append("    \(entry.1)") }
        return lines.joined(separator: "\n")
    }

    /// The same story for tools: `leads show --format json`.
    static func json(
        _ timeline: LeadTimeline, scoreRules: ScoreRules = ScoreRules(), at time: Date, suppressedBy: String? = nil
    ) -> String {
        let lead = timeline.lead
        var object = jsonFields(lead)
        object["suppressed_by"] = suppressedBy ?? NSNull()
        object["timezone"] = lead.timeZone ?? NSNull()
        object["attributes"] = lead.attributes
        object["enrolments"] = timeline.enrollments.map { item -> [String: Any] in
            [
                "campaign": item.campaignID, "state": item.state, "enrolled_at": timestamp(item.enrolledAt),
                "next_step": item.nextStep ?? NSNull(), "next_due_at": item.nextDueAt.map(timestamp) ?? NSNull(),
                "ended_at": item.endedAt.map(timestamp) ?? NSNull(), "end_reason": item.endReason ?? NSNull(),
                "held_reason": item.heldReason ?? NSNull(),
            ]
        }
        object["messages"] = timeline.messages.map { item -> [String: Any] in
            [
                "campaign": item.campaignID, "step": item.step, "variant": item.variant ?? NSNull(),
                "state": item.state.rawValue, "at": timestamp(item.at),
                "detail": item.detail ?? NSNull(),
            ]
        }
        object["events"] = timeline.events.map {
            ["name": $0.name, "at": timestamp($0.at), "attributes": $0.attributes] as [String: Any]
        }
        object["activity"] = timeline.activity.map { item -> [String: Any] in
            [
                "campaign": item.campaignID, "step": item.step, "kind": item.kind.rawValue, "url": item.url ?? NSNull(),
                "decoy": item.decoy,
                "class": item.activityClass, "reason": item.reason, "at": timestamp(item.at),
            ]
        }
        object["score_changes"] = timeline.scoreChanges(rules: scoreRules).map {
            [
                "at": timestamp($0.at), "points": $0.points, "reason": $0.reason,
                "worth": scoreRules.worth(of: $0, at: time),
            ] as [String: Any]
        }
        object["stages"] = Array(lead.stages).sorted()
        object["fit_rules"] = lead.score.fitRules.map {
            ["rule": $0.description, "points": $0.points] as [String: Any]
        }
        return TextOutput.json(object)
    }

    /// A lead's own fields as JSON values, as `leads list` and `leads show` give them.
    static func jsonFields(_ lead: Lead) -> [String: Any] {
        [
            "email": lead.email.address, "first_name": lead.firstName ?? NSNull(),
            "last_name": lead.lastName ?? NSNull(),
            "status": lead.status.rawValue, "score": lead.score.total, "fit": lead.score.fit,
            "engagement": lead.score.engagement,
            "tags": lead.tags.sorted(),
            "source": lead.source.map {
                ["source": $0.source ?? NSNull(), "medium": $0.medium ?? NSNull(), "campaign": $0.campaign ?? NSNull()]
                    as [String: Any]
            } ?? NSNull(),
            "created_at": lead.createdAt.map(timestamp) ?? NSNull(),
        ]
    }

    static func timestamp(_ date: Date) -> String { date.iso8601Seconds }
}
