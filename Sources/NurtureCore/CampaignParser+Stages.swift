import Foundation

extension CampaignParser {
    /// `stages:` of nurture.yml: a list of `{ id, when }`, in funnel order, each `when`
    /// a condition about the lead (score, fit, engagement, events, tags, attributes,
    /// earlier stages); conditions about a campaign's steps have no meaning here.
    public func parseStages(_ node: YAMLNode, into diagnostics: inout DiagnosticBag) -> StageRules {
        let example = "like - { id: mql, when: { score_at_least: 30 } }"
        guard let items = node.items else {
            diagnostics.error(
                at: node.location, "'stages' takes a list of stages, found \(node.kindName)", hint: example)
            return StageRules()
        }
        var stages: [Stage] = []
        for item in items {
            guard let map = MappingReader(item, what: "a stage", into: &diagnostics) else { continue }
            map.rejectUnknownKeys(allowed: ["id", "when"], in: "a stage", into: &diagnostics)
            guard let id = map.requiredText("id", in: "a stage", hint: example, into: &diagnostics) else { continue }
            guard Self.isIdentifier(id.text) else {
                diagnostics.error(
                    at: id.node.location, "a stage id is letters, digits, '_', '-' or '.', not '\(id.text)'",
                    hint: example)
                continue
            }
            if stages.contains(where: { $0.id == id.text }) {
                diagnostics.error(at: id.node.location, "stage '\(id.text)' is defined twice")
                continue
            }
            guard let whenNode = map["when"], !whenNode.isNull else {
                diagnostics.error(at: item.location, "stage '\(id.text)' is missing 'when'", hint: example)
                continue
            }
            guard let condition = parseCondition(whenNode, into: &diagnostics) else { continue }
            if !condition.referencedSteps.isEmpty {
                diagnostics.error(
                    at: whenNode.location, "stage '\(id.text)' cannot depend on a campaign's steps (opened, clicked)",
                    hint: "use score_at_least, fit_at_least, engagement_at_least, event, has_tag or attribute")
                continue
            }
            if let later = condition.namedStages.first(where: { name in !stages.contains { $0.id == name } }) {
                diagnostics.error(
                    at: whenNode.location, "stage '\(id.text)' can only depend on stages before it, not '\(later)'")
                continue
            }
            stages.append(Stage(id: id.text, when: condition))
        }
        return StageRules(stages)
    }
}
