import Foundation
import NurtureCore

/// What `nurture.yml` says, with defaults for everything it leaves out. Read only here,
/// at the edge; the libraries take the plain values.
struct Settings: Sendable {
    var database: String?
    /// The zone for leads and campaigns that name none.
    var defaultTimeZone = "UTC"
    var campaignsDirectory = "campaigns"
    var templatesDirectory = "templates"
    /// Public base URL of `nurture serve`, for unsubscribe and tracking links.
    var baseURL: String?
    var smtp = SMTPFileSettings()
    /// An address that unsubscribes whoever writes to it, offered in List-Unsubscribe.
    var unsubscribeMailbox: EmailAddress?
    /// `tracking.machine_window`: seconds after delivery in which opens and clicks are machines.
    var machineWindowSeconds: Double = 2
    /// `tracking.enabled: false` sends links as written even with a base URL.
    var trackingEnabled = true
    var scoreRules = ScoreRules()
    var stageRules = StageRules()
    /// `webhooks:`; signed with NURTURE_WEBHOOK_SECRET.
    var webhooks: [WebhookRule] = []
    /// `dkim:`: the keys mail is signed with.
    var dkim: [DKIMKeySetting] = []
    /// `subscribe.tags`: the tags the capture form may set; `subscribe.default_tags`:
    /// the tags every captured lead gets.
    var subscribeTags: [String] = []
    var subscribeDefaultTags: [String] = []
    /// `subscribe.fields`: the form fields kept as attributes (or the time zone).
    var subscribeFields = CaptureFields()
    /// `subscribe.per_client_per_minute`: form posts one client address may make in a
    /// minute; `subscribe.confirmations_per_minute`: confirmation mails in a minute, all
    /// addresses together (signup bombing: the form must not be a way to mail anyone).
    var subscribePerClientPerMinute = 10
    var confirmationsPerMinute = 60
    /// `subscribe.confirm: true`: double opt-in, with its sender, subject and expiry.
    var subscribeConfirmation: SubscriptionConfirmation?
    /// Where `subscribe.confirm` is, for errors about it.
    var subscribeConfirmLocation: SourceLocation?
    /// `subscribe.pending_days`: how long an unconfirmed subscription is kept.
    var pendingDays = 7
    /// `bounces.soft_limit` soft bounces within `bounces.soft_window` end a lead as bounced.
    var softBounceLimit = 3
    var softBounceWindow = DripDuration(days: 15)
    /// `mailbox.url`: where `nurture inbound --mailbox` reads bounces and replies (IMAP);
    /// `mailbox.after`: `flag` (default) or `delete` what it handled.
    var mailboxURL: String?
    /// `guard:`: the complaint guard (on by default; `guard: { complaint_rate: off }` turns it off).
    var complaintGuard: ComplaintGuard? = ComplaintGuard()
    var mailboxDeletes = false

    /// The `smtp:` section. The password is never read from the file.
    struct SMTPFileSettings: Sendable {
        var url: String?
        var startTLS: String?
        var username: String?
        var caFile: String?
        var timeoutSeconds: Int?
        var envelopeFrom: String?
        /// `verp: false` sends `envelope_from` as it is; by default each message's MAIL
        /// FROM carries a signed token naming it (`bounces+TOKEN@domain`).
        var verp = true
        var maxConnections: Int?
        var ratePerSecond: Double?
        /// Messages each connection admits per durable commit (`SendLoop.admitAhead`).
        var admitAhead: Int?

        static let keys = [
            "url", "starttls", "username", "ca_file", "timeout", "envelope_from", "verp", "max_connections",
            "rate_per_second", "admit_ahead",
        ]
    }

    static let keys = [
        "db", "timezone", "campaigns_dir", "templates_dir", "base_url", "smtp", "unsubscribe_mailto", "tracking",
        "score", "stages", "webhooks", "subscribe", "dkim", "bounces", "mailbox", "guard",
    ]

    /// Reads the settings file; a missing file means all defaults. Errors name the line.
    static func load(path: String, displayName: String) throws -> Settings {
        var settings = Settings()
        guard FileManager.default.fileExists(atPath: path) else { return settings }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
        else {
            throw UserError("cannot read \(displayName) as UTF-8 text")
        }
        var diagnostics = DiagnosticBag()
        guard let root = YAMLNode.parse(text, file: displayName, into: &diagnostics), !root.isNull else {
            if diagnostics.hasErrors { throw UserError(diagnostics.sorted.map(\.description).joined(separator: "\n")) }
            return settings
        }
        if let map = MappingReader(root, what: "the settings", into: &diagnostics) {
            map.rejectUnknownKeys(allowed: keys, in: "the settings", into: &diagnostics)
            settings.database = map.optionalText("db", into: &diagnostics)?.text
            if let zone = map.optionalText("timezone", into: &diagnostics) {
                if TimeZoneNames.isKnown(zone.text) {
                    settings.defaultTimeZone = zone.text
                } else {
                    diagnostics.error(
                        at: zone.node.location, "unknown time zone '\(zone.text)'",
                        hint: "use an IANA name like Europe/Berlin")
                }
            }
            settings.campaignsDirectory =
                map.optionalText("campaigns_dir", into: &diagnostics)?.text ?? settings.campaignsDirectory
            settings.templatesDirectory =
                map.optionalText("templates_dir", into: &diagnostics)?.text ?? settings.templatesDirectory
            settings.baseURL = map.optionalText("base_url", into: &diagnostics)?.text
            if let node = map["smtp"], !node.isNull { settings.smtp = readSMTP(node, into: &diagnostics) }
            if let node = map["tracking"], !node.isNull { readTracking(node, into: &settings, &diagnostics) }
            if let node = map["score"], !node.isNull { readScore(node, into: &settings, &diagnostics) }
            if let node = map["webhooks"], !node.isNull { settings.webhooks = readWebhooks(node, &diagnostics) }
            if let node = map["dkim"], !node.isNull { settings.dkim = readDKIM(node, &diagnostics) }
            if let node = map["bounces"], !node.isNull { readBounces(node, into: &settings, &diagnostics) }
            if let node = map["mailbox"], !node.isNull { readMailbox(node, into: &settings, &diagnostics) }
            if let node = map["guard"], !node.isNull { readGuard(node, into: &settings, &diagnostics) }
            if let node = map["stages"], !node.isNull {
                settings.stageRules = CampaignParser(file: displayName).parseStages(node, into: &diagnostics)
            }
            if let node = map["subscribe"], !node.isNull,
                let subscribe = MappingReader(node, what: "'subscribe'", into: &diagnostics)
            {
                subscribe.rejectUnknownKeys(
                    allowed: ["tags", "default_tags", "fields", "per_client_per_minute", "confirmations_per_minute"]
                        + confirmKeys, in: "'subscribe'",
                    into: &diagnostics)
                settings.subscribeFields = readCaptureFields(subscribe, &diagnostics)
                if let limit = number(
                    "per_client_per_minute", subscribe, &diagnostics, in: 1...100_000, whole: true,
                    hint: "a whole number of posts, like 10")
                {
                    settings.subscribePerClientPerMinute = Int(limit)
                }
                if let limit = number(
                    "confirmations_per_minute", subscribe, &diagnostics, in: 1...100_000, whole: true,
                    hint: "a whole number of mails, like 60")
                {
                    settings.confirmationsPerMinute = Int(limit)
                }
                settings.subscribeTags = subscribe.textList("tags", into: &diagnostics).map(\.text)
                settings.subscribeDefaultTags = subscribe.textList("default_tags", into: &diagnostics).map(\.text)
                readConfirmation(subscribe, into: &settings, &diagnostics)
            }
            if let mailbox = map.optionalText("unsubscribe_mailto", into: &diagnostics) {
                do { settings.unsubscribeMailbox = try EmailAddress(mailbox.text) } catch {
                    diagnostics.error(
                        at: mailbox.node.location, "'unsubscribe_mailto' is not a valid address: \(error)")
                }
            }
        }
        if diagnostics.hasErrors { throw UserError(diagnostics.sorted.map(\.description).joined(separator: "\n")) }
        return settings
    }

    private static func readSMTP(_ node: YAMLNode, into diagnostics: inout DiagnosticBag) -> SMTPFileSettings {
        var smtp = SMTPFileSettings()
        guard let map = MappingReader(node, what: "'smtp'", into: &diagnostics) else { return smtp }
        map.rejectUnknownKeys(allowed: SMTPFileSettings.keys, in: "'smtp'", into: &diagnostics)
        if let url = map.optionalText("url", into: &diagnostics) {
            if let components = URLComponents(string: url.text), components.password != nil {
                diagnostics.error(
                    at: url.node.location, "'url' carries a password; nurture.yml is kept in git",
                    hint:
                        "remove it from the URL and set NURTURE_SMTP_PASSWORD (or NURTURE_SMTP_URL) in the environment")
            } else if !(url.text.hasPrefix("smtp://") || url.text.hasPrefix("smtps://")) {
                diagnostics.error(
                    at: url.node.location, "'url' must start with smtp:// or smtps://",
                    hint: "like smtp://mail.example.com:587")
            }
            smtp.url = url.text
        }
        if let mode = map.optionalText("starttls", into: &diagnostics) {
            if ["required", "optional", "off"].contains(mode.text) {
                smtp.startTLS = mode.text
            } else {
                diagnostics.error(
                    at: mode.node.location, "'starttls' must be required, optional or off, not '\(mode.text)'")
            }
        }
        smtp.username = map.optionalText("username", into: &diagnostics)?.text
        smtp.caFile = map.optionalText("ca_file", into: &diagnostics)?.text
        if let sender = map.optionalText("envelope_from", into: &diagnostics) {
            // It goes into MAIL FROM: only a valid address, never anything with a line break.
            do { smtp.envelopeFrom = try EmailAddress(sender.text).address } catch {
                diagnostics.error(
                    at: sender.node.location, "'envelope_from' is not a valid address: \(error)",
                    hint: "like bounces@acme.example")
            }
        }
        if let verp = map.optionalFlag("verp", into: &diagnostics) { smtp.verp = verp }
        smtp.timeoutSeconds = number(
            "timeout", map, &diagnostics, in: 1...3600, whole: true, hint: "whole seconds from 1 to 3600, like 60"
        ).map(Int.init)
        smtp.maxConnections = number(
            "max_connections", map, &diagnostics, in: 1...64, whole: true, hint: "a whole number from 1 to 64"
        ).map(Int.init)
        smtp.ratePerSecond = number(
            "rate_per_second", map, &diagnostics, in: 0.01...100_000,
            hint: "messages per second from 0.01 to 100000, like 10 or 0.5")
        smtp.admitAhead = number(
            "admit_ahead", map, &diagnostics, in: 1...32, whole: true, hint: "a whole number from 1 to 32"
        ).map(Int.init)
        return smtp
    }

    private static func readTracking(
        _ node: YAMLNode, into settings: inout Settings, _ diagnostics: inout DiagnosticBag
    ) {
        guard let map = MappingReader(node, what: "'tracking'", into: &diagnostics) else { return }
        map.rejectUnknownKeys(allowed: ["machine_window", "enabled"], in: "'tracking'", into: &diagnostics)
        if let enabled = map.optionalFlag("enabled", into: &diagnostics) { settings.trackingEnabled = enabled }
        if let window = map.optionalText("machine_window", into: &diagnostics) {
            let text = window.text.hasSuffix("s") ? String(window.text.dropLast()) : window.text
            if let seconds = Double(text), seconds >= 0, seconds <= 3600 {
                settings.machineWindowSeconds = seconds
            } else {
                diagnostics.error(
                    at: window.node.location, "'machine_window' must be seconds from 0 to 3600, not '\(window.text)'",
                    hint: "like 2 or 2s")
            }
        }
    }

    /// A number within `range` (and whole when asked). Range-checked here because values
    /// like `1e20`, `inf` or `1e-320` would otherwise overflow a conversion later.
    static func number(
        _ key: String, _ map: MappingReader, _ diagnostics: inout DiagnosticBag, in range: ClosedRange<Double>,
        whole: Bool = false,
        hint: String
    ) -> Double? {
        guard let value = map.optionalText(key, into: &diagnostics) else { return nil }
        guard let number = Double(value.text), number.isFinite, range.contains(number),
            !whole || number.rounded() == number
        else {
            diagnostics.error(
                at: value.node.location,
                "'\(key)' must be \(hint.split(separator: ",").first ?? ""), not '\(value.text)'", hint: hint)
            return nil
        }
        return number
    }
}
