import Foundation
import NurtureCore

extension TemporaryDirectory {
    /// The campaigns and templates written under `campaigns/` and `templates/` here,
    /// loaded as `nurture` loads a project.
    public func loadCatalog() -> CampaignCatalog {
        CampaignCatalog.load(
            campaignsDirectory: url.appendingPathComponent("campaigns"),
            templatesDirectory: url.appendingPathComponent("templates"), displayRoot: url)
    }
}
