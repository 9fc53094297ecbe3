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

    static let keys = ["db", "timezone", "campaigns_dir", "templates_dir", "base_url"]

    /// Reads the settings file; a missing file means all defaults. Errors name the line.
    static func load(path: String, displayName: String) throws -> Settings {
        var settings = Settings()
        guard FileManager.default.fileExists(atPath: path) else { return settings }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
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
                    diagnostics.error(at: zone.node.location, "unknown time zone '\(zone.text)'", hint: "use an IANA name like Europe/Berlin")
                }
            }
            settings.campaignsDirectory = map.optionalText("campaigns_dir", into: &diagnostics)?.text ?? settings.campaignsDirectory
            settings.templatesDirectory = map.optionalText("templates_dir", into: &diagnostics)?.text ?? settings.templatesDirectory
            settings.baseURL = map.optionalText("base_url", into: &diagnostics)?.text
        }
        if diagnostics.hasErrors { throw UserError(diagnostics.sorted.map(\.description).joined(separator: "\n")) }
        return settings
    }
}
