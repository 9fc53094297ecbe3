import Foundation

extension CampaignParser {
    static let variantKeys = ["id", "subject", "template"]
    static let winnerKeys = ["metric", "after", "pick"]

    /// `variants:` of a step: at least two, unique ids; each takes the step's subject
    /// and template unless it gives its own, and must end up with both.
    func parseVariants(
        _ node: YAMLNode, stepSubject: (text: String, node: YAMLNode)?, stepTemplate: (text: String, node: YAMLNode)?,
        what: String,
        into diagnostics: inout DiagnosticBag
    ) -> [StepVariant] {
        guard let items = node.items else {
            diagnostics.error(
                at: node.location, "'variants' of \(what) should be a list, found \(node.kindName)",
                hint: "list each version as - { id: a, subject: \"…\" }")
            return []
        }
        if items.count < 2 {
            diagnostics.error(
                at: node.location,
                "\(what) has \(items.count) variant\(items.count == 1 ? "" : "s"); an A/B test needs at least two",
                hint: "add another version, or drop 'variants' and write the subject and template on the step")
        }
        var variants: [StepVariant] = []
        var seen: [String: Int] = [:]
        for item in items {
            guard let map = MappingReader(item, what: "a variant", into: &diagnostics) else { continue }
            map.rejectUnknownKeys(allowed: Self.variantKeys, in: "a variant", into: &diagnostics)
            guard
                let id = map.requiredText(
                    "id", in: "a variant", hint: "name it with a short id like a or short_subject", into: &diagnostics)
            else {
                continue
            }
            if !Self.isIdentifier(id.text) {
                diagnostics.error(
                    at: id.node.location, "'\(id.text)' is not a valid variant id", hint: Self.identifierHint)
            }
            if let line = seen[id.text] {
                diagnostics.error(
                    at: id.node.location, "variant id '\(id.text)' is used twice in \(what) (first at line \(line))",
                    hint: "each variant needs its own id; it is recorded with every message sent")
                continue
            }
            seen[id.text] = id.node.location.line
            let subject = map.optionalText("subject", into: &diagnostics) ?? stepSubject
            let template = map.optionalText("template", into: &diagnostics) ?? stepTemplate
            if subject == nil {
                diagnostics.error(
                    at: item.location, "variant '\(id.text)' of \(what) has no subject",
                    hint:
                        "give it one, like subject: \"Welcome, {{first_name}}!\", or write one on the step for all variants"
                )
            }
            if template == nil {
                diagnostics.error(
                    at: item.location, "variant '\(id.text)' of \(what) has no template",
                    hint: "give it one, like template: onboarding/welcome-b, or write one on the step for all variants")
            }
            if let template, !Self.isTemplateName(template.text) {
                diagnostics.error(
                    at: template.node.location, "'\(template.text)' is not a valid template name",
                    hint: "a path under templates/ without extension, like onboarding/welcome (no '..', no leading '/')"
                )
            }
            variants.append(
                StepVariant(
                    id: id.text, subject: subject?.text ?? "", template: template?.text ?? "", location: item.location,
                    subjectLocation: subject?.node.location, templateLocation: template?.node.location))
        }
        return variants
    }

    /// `winner:` of a step with variants: `{metric, after}` or `{pick}`.
    func parseWinner(_ node: YAMLNode, variants: [StepVariant], what: String, into diagnostics: inout DiagnosticBag)
        -> WinnerRule?
    {
        guard let map = MappingReader(node, what: "'winner'", into: &diagnostics) else { return nil }
        map.rejectUnknownKeys(allowed: Self.winnerKeys, in: "'winner'", into: &diagnostics)
        if variants.isEmpty {
            diagnostics.error(
                at: node.location, "\(what) has a 'winner' but no 'variants'",
                hint: "a winner is chosen among a step's variants")
            return nil
        }
        if let pick = map.optionalText("pick", into: &diagnostics) {
            guard variants.contains(where: { $0.id == pick.text }) else {
                diagnostics.error(
                    at: pick.node.location, "\(what) has no variant '\(pick.text)' to pick",
                    hint:
                        "\(Suggestion.didYouMean(pick.text, among: variants.map(\.id)))variants: \(variants.map(\.id).joined(separator: ", "))"
                )
                return nil
            }
            for key in ["metric", "after"] where map[key] != nil {
                diagnostics.warning(at: map.keyLocation(key) ?? node.location, "'\(key)' has no effect with 'pick'")
            }
            return WinnerRule(pick: pick.text)
        }
        var metric = WinnerRule.Metric.clickRate
        if let written = map.optionalText("metric", into: &diagnostics) {
            guard let parsed = WinnerRule.Metric(rawValue: written.text) else {
                let names = WinnerRule.Metric.allCases.map(\.rawValue)
                diagnostics.error(
                    at: written.node.location, "'\(written.text)' is not a winner metric",
                    hint:
                        "\(Suggestion.didYouMean(written.text, among: names))metrics: \(names.joined(separator: ", "))")
                return nil
            }
            metric = parsed
        }
        guard
            let after = map.requiredText(
                "after", in: "'winner'",
                hint: "say how many messages each variant is sent before the test may end, like after: 500",
                into: &diagnostics)
        else { return nil }
        guard let count = Int(after.text), count >= 1 else {
            diagnostics.error(
                at: after.node.location,
                "'after' must be a whole number of messages of at least 1, not '\(after.text)'",
                hint: "like after: 500 (each variant is sent that many times before a winner can be chosen)")
            return nil
        }
        return WinnerRule(metric: metric, after: count)
    }
}
