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
}
