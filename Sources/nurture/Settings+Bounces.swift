import Foundation
import NurtureCore

extension Settings {
    /// `bounces: { soft_limit: 3, soft_window: 15d }`: how many soft bounces within how long
    /// end a lead as bounced (`nurture inbound`).
    static func readBounces(_ node: YAMLNode, into settings: inout Settings, _ diagnostics: inout DiagnosticBag) {
        guard let map = MappingReader(node, what: "'bounces'", into: &diagnostics) else { return }
        map.rejectUnknownKeys(allowed: ["soft_limit", "soft_window"], in: "'bounces'", into: &diagnostics)
        if let limit = number(
            "soft_limit", map, &diagnostics, in: 1...100, whole: true, hint: "a whole number from 1 to 100, like 3")
        {
            settings.softBounceLimit = Int(limit)
        }
        if let window = map.optionalText("soft_window", into: &diagnostics) {
            if let duration = try? DripDuration.parse(window.text), duration.days + duration.minutes > 0,
                duration.days <= 366
            {
                settings.softBounceWindow = duration
            } else {
                diagnostics.error(
                    at: window.node.location, "'soft_window' must be a time from 1m to 366d, not '\(window.text)'",
                    hint: "like 15d or 2w")
            }
        }
    }

    /// `mailbox: { url: imaps://bounces@mail.acme.example/INBOX, after: flag|delete }`. The
    /// password comes from NURTURE_MAILBOX_PASSWORD only: the file lives in git.
    static func readMailbox(_ node: YAMLNode, into settings: inout Settings, _ diagnostics: inout DiagnosticBag) {
        guard let map = MappingReader(node, what: "'mailbox'", into: &diagnostics) else { return }
        map.rejectUnknownKeys(allowed: ["url", "after"], in: "'mailbox'", into: &diagnostics)
        if let url = map.optionalText("url", into: &diagnostics) {
            if let parsed = URLComponents(string: url.text), parsed.password != nil {
                diagnostics.error(
                    at: url.node.location, "'mailbox.url' may not carry a password",
                    hint: "set NURTURE_MAILBOX_PASSWORD in the environment instead")
            } else {
                settings.mailboxURL = url.text
            }
        }
        if let after = map.optionalText("after", into: &diagnostics) {
            switch after.text {
            case "flag": settings.mailboxDeletes = false
            case "delete": settings.mailboxDeletes = true
            default:
                diagnostics.error(
                    at: after.node.location, "'mailbox.after' is flag or delete, not '\(after.text)'",
                    hint: "flag keeps handled messages, marked")
            }
        }
    }

    /// `guard: { complaint_rate: 0.003, window: 7d, minimum_sent: 1000 }`; `complaint_rate: off`
    /// turns the guard off.
    static func readGuard(_ node: YAMLNode, into settings: inout Settings, _ diagnostics: inout DiagnosticBag) {
        guard let map = MappingReader(node, what: "'guard'", into: &diagnostics) else { return }
        map.rejectUnknownKeys(allowed: ["complaint_rate", "window", "minimum_sent"], in: "'guard'", into: &diagnostics)
        var complaintGuard = ComplaintGuard()
        if map.optionalText("complaint_rate", into: &diagnostics)?.text == "off" {
            settings.complaintGuard = nil
            return
        }
        if let rate = number(
            "complaint_rate", map, &diagnostics, in: 0.0001...0.5,
            hint: "a share from 0.0001 to 0.5, like 0.003 (0.3%), or off")
        {
            complaintGuard.rate = rate
        }
        if let window = map.optionalText("window", into: &diagnostics) {
            if let duration = try? DripDuration.parse(window.text), duration.days >= 1, duration.days <= 90,
                duration.minutes == 0
            {
                complaintGuard.window = TimeInterval(duration.days * 86_400)
            } else {
                diagnostics.error(
                    at: window.node.location, "'window' must be whole days from 1d to 90d, not '\(window.text)'",
                    hint: "like 7d")
            }
        }
        if let minimum = number(
            "minimum_sent", map, &diagnostics, in: 1...10_000_000, whole: true, hint: "a whole number, like 1000")
        {
            complaintGuard.minimumSent = Int(minimum)
        }
        settings.complaintGuard = complaintGuard
    }
}
