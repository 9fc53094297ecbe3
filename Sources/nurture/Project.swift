import Foundation
import NurtureCore
import NurtureStore

/// The user's folder, as the global options, the environment and `nurture.yml` describe
/// it: where campaigns, templates and the store are. All commands start here.
struct Project {
    let root: URL
    let settings: Settings
    let environment: [String: String]
    let databaseOption: String?

    init(options: GlobalOptions, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let configURL = URL(fileURLWithPath: options.config)
        root = configURL.deletingLastPathComponent()
        settings = try Settings.load(path: configURL.path, displayName: options.config)
        self.environment = environment
        databaseOption = options.db
    }

    var campaignsDirectory: URL { resolve(settings.campaignsDirectory) }
    var templatesDirectory: URL { resolve(settings.templatesDirectory) }

    /// `NURTURE_BASE_URL` wins over `base_url` in nurture.yml; without either, links point
    /// at a local `nurture serve` on its default port.
    var baseURL: String {
        let url = environment["NURTURE_BASE_URL"] ?? settings.baseURL ?? "http://127.0.0.1:8080"
        return url.hasSuffix("/") ? String(url.dropLast()) : url
    }

    func resolve(_ path: String) -> URL {
        path.hasPrefix("/") ? URL(fileURLWithPath: path) : root.appendingPathComponent(path)
    }

    /// `--db`, then `NURTURE_DB`, then `db:` in nurture.yml, then `nurture.sqlite`.
    var databaseLocation: String {
        databaseOption ?? environment["NURTURE_DB"] ?? settings.database ?? "nurture.sqlite"
    }

    func openStore() throws -> any Store {
        let location = databaseLocation
        if location.hasPrefix("postgres://") || location.hasPrefix("postgresql://") {
            throw UserError("the PostgreSQL store is not available in this version; use a SQLite file path for --db")
        }
        return try SQLiteStore(path: resolve(location).path)
    }

    func loadCatalog() -> CampaignCatalog {
        CampaignCatalog.load(campaignsDirectory: campaignsDirectory, templatesDirectory: templatesDirectory, displayRoot: root)
    }
}
