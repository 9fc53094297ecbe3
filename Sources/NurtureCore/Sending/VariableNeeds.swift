import Foundation

/// The variables each step (each A/B version of it) always renders, worked out once per
/// tick from the templates: a lead lacking one that no default covers is held rather
/// than sent a message with a hole in it ("Three tips for " with no company).
public struct VariableNeeds: Sendable {
    private var needs: [String: [String]] = [:]

    init(catalog: CampaignCatalog) {
        let renderer = MessageRenderer(templates: catalog.templates)
        for campaign in catalog.campaigns {
            for step in campaign.steps.flatMap(\.renderings) {
                needs[Self.key(campaign.id, step)] = Set(
                    renderer.variableUses(campaign: campaign, step: step).map(\.variable)
                )
                .subtracting(Self.neverHeld).sorted()
            }
        }
    }

    private static func key(_ campaign: String, _ step: Step) -> String { "\(campaign)\u{0}\(step.subjectKey)" }

    /// The lead's own name fields render empty when missing (give them a default to
    /// fill them): a name is optional on every capture form, and holding each nameless
    /// lead's "Hi {{first_name}}," would stop most of a list's mail. Custom attributes
    /// (company, plan) are what a step is written around: those hold.
    public static let neverHeld: Set<String> = ["first_name", "last_name"]

    /// What `step` (as rendered, variant chosen) needs that `lead` lacks, sorted; empty
    /// when the message can go.
    func missing(campaign: Campaign, step: Step, lead: Lead) -> [String] {
        guard let needed = needs[Self.key(campaign.id, step)], !needed.isEmpty else { return [] }
        let available = MessageRenderer.variables(for: lead, campaign: campaign, step: step, unsubscribeURL: "-")
        return needed.filter { available[$0] == nil }
    }

    /// Why a message waits, for `status`, `leads show` and `report`.
    static func reason(_ missing: [String]) -> String {
        let names = missing.map { "'\($0)'" }.joined(separator: ", ")
        return "held: the lead has no \(names) and no default covers \(missing.count == 1 ? "it" : "them")"
    }
}
