import ArgumentParser
import Foundation
import NurtureCore

struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check every campaign and template, and report all problems at once.")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let project = try Project(options: global)
        let catalog = project.loadCatalog()
        var diagnostics = catalog.diagnostics
        // A step's `stage:` must name a stage of nurture.yml, or it could never hold.
        let stages = project.settings.stageRules.ids
        for campaign in catalog.campaigns {
            for step in campaign.steps {
                for stage in step.condition?.namedStages ?? [] where !stages.contains(stage) {
                    diagnostics.error(
                        at: step.location,
                        "step '\(step.id)' asks for stage '\(stage)', which nurture.yml does not define",
                        hint: stages.isEmpty
                            ? "add it under 'stages:' in nurture.yml" : "stages: \(stages.joined(separator: ", "))")
                }
            }
        }
        if !diagnostics.hasErrors {
            diagnostics.append(contentsOf: try await missingVariableWarnings(catalog, project: project))
            if let store = try? await project.openStore() {
                diagnostics.append(contentsOf: try await RenameCheck.all(catalog.campaigns, store: store))
                diagnostics.append(contentsOf: try await dateWarnings(catalog, store: store))
            }
        }
        if let missing = project.missingConfirmationTemplate(in: catalog) { diagnostics.append(missing) }
        if !project.settings.webhooks.isEmpty, (project.environment["NURTURE_WEBHOOK_SECRET"] ?? "").isEmpty {
            Terminal.warning(
                "nurture.yml has webhooks but NURTURE_WEBHOOK_SECRET is not set: run, serve and event refuse to start without it; set it to a long random secret and give the same to your CRM"
            )
        }
        // Keys that cannot be read are errors here as in `run`; unsigned campaigns are said.
        let signer = try project.dkimSigner()
        for campaign in catalog.campaigns where signer?.keys(for: String(campaign.from.address.domain)).isEmpty ?? true
        {
            Terminal.warning(
                "campaign '\(campaign.id)' is not DKIM-signed: no key in nurture.yml's dkim: for \(campaign.from.address.domain) (Gmail and Yahoo require bulk mail signed by its From domain); add a key for it under dkim: in nurture.yml (README: DKIM signatures)"
            )
        }
        for diagnostic in diagnostics.sorted {
            Terminal.writeError("\(diagnostic)\n")
        }
        let errors = diagnostics.errors.count
        let warnings = diagnostics.warnings.count
        if errors > 0 {
            throw UserError(
                "\(errors) error\(errors == 1 ? "" : "s")\(warnings > 0 ? " and \(warnings) warning\(warnings == 1 ? "" : "s")" : ""); fix them and run nurture validate again"
            )
        }
        let steps = catalog.campaigns.reduce(0) { $0 + $1.steps.count }
        let templates = Set(catalog.campaigns.flatMap { $0.steps.flatMap(\.renderings).map(\.template) }).count
        print(
            "ok: \(catalog.campaigns.count) campaign\(catalog.campaigns.count == 1 ? "" : "s"), \(steps) step\(steps == 1 ? "" : "s"), \(templates) template\(templates == 1 ? "" : "s")\(warnings > 0 ? " (\(warnings) warning\(warnings == 1 ? "" : "s"))" : "")"
        )
    }

    /// A `wait_until` attribute that some active leads hold in a form that is not an ISO
    /// 8601 date (`12/04/2026`): those leads would skip the step.
    private func dateWarnings(_ catalog: CampaignCatalog, store: any Store) async throws -> [Diagnostic] {
        var warnings: [Diagnostic] = []
        for campaign in catalog.campaigns {
            for step in campaign.steps {
                guard let attribute = step.dateAttribute else { continue }
                let found = try await store.activeLeadAttributesNotDated(named: attribute)
                guard found.count > 0 else { continue }
                warnings.append(
                    .warning(
                        at: step.location,
                        "step '\(step.id)' waits for '\(attribute)', which \(found.count) active lead\(found.count == 1 ? " has" : "s have") in a form that is not a date (like '\(found.example ?? "")'); they will skip the step",
                        hint: "write dates as ISO 8601, like 2030-12-04 or 2030-12-04T14:30:00Z, and import them again")
                )
            }
        }
        return warnings
    }

    /// Custom attributes the templates always render and no default covers, checked
    /// against the leads in the store (when there is one): a lead without one has its
    /// message held (issue 36.6), so each step says how many leads that concerns.
    private func missingVariableWarnings(_ catalog: CampaignCatalog, project: Project) async throws -> [Diagnostic] {
        guard let store = try? await project.openStore() else { return [] }
        var warnings: [Diagnostic] = []
        var counted: [String: Int] = [:]
        let renderer = MessageRenderer(templates: catalog.templates)
        for campaign in catalog.campaigns {
            for step in campaign.steps.flatMap(\.renderings) {
                // Leads the step's condition keeps out never render it (`exists: true`).
                let variables = Set(renderer.variableUses(campaign: campaign, step: step).map(\.variable))
                    .subtracting(step.condition?.requiredAttributes ?? []).subtracting(step.defaults.keys)
                for variable in variables.subtracting(["email", "unsubscribe_url", "campaign", "step", "body"]).sorted()
                {
                    let lacking: Int
                    if let known = counted[variable] {
                        lacking = known
                    } else {
                        lacking = try await store.countActiveLeads(lacking: variable)
                        counted[variable] = lacking
                    }
                    guard lacking > 0 else { continue }
                    let consequence =
                        VariableNeeds.neverHeld.contains(variable)
                        ? "it renders empty for them" : "their message is held until they have it"
                    warnings.append(
                        .warning(
                            at: step.templateLocation,
                            "step \(step.label) uses '\(variable)', which \(lacking) active lead\(lacking == 1 ? " lacks" : "s lack"); \(consequence)",
                            hint:
                                "give it a default (defaults: { \(variable): … } on the campaign or step), wrap it in {{#\(variable)}}…{{/\(variable)}} to leave it out when missing, or add the attribute to those leads"
                        ))
                }
            }
        }
        return warnings
    }
}
