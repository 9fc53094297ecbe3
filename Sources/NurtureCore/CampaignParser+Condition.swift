import Foundation

extension CampaignParser {
    static let conditionKeys = [
        "opened", "clicked", "not_opened", "not_clicked", "score_at_least", "fit_at_least", "engagement_at_least",
        "event", "stage", "has_tag", "attribute", "all", "any",
    ]
    static let attributeTestKeys = ["name", "equals", "not_equals", "in", "exists"]

    /// A mapping of one or more conditions; several keys in one mapping must all hold.
    func parseCondition(_ node: YAMLNode, into diagnostics: inout DiagnosticBag) -> Condition? {
        guard let map = MappingReader(node, what: "a condition ('if')", into: &diagnostics) else { return nil }
        map.rejectUnknownKeys(allowed: Self.conditionKeys, in: "a condition", into: &diagnostics)
        var parts: [Condition] = []
        for key in map.keys where Self.conditionKeys.contains(key) {
            if let part = parseConditionEntry(key, map[key]!, into: &diagnostics) { parts.append(part) }
        }
        if map.keys.isEmpty {
            diagnostics.error(at: node.location, "the condition is empty", hint: "for example if: { opened: welcome }")
        }
        return parts.count == 1 ? parts[0] : parts.isEmpty ? nil : .all(parts)
    }

    private func parseConditionEntry(_ key: String, _ value: YAMLNode, into diagnostics: inout DiagnosticBag)
        -> Condition?
    {
        switch key {
        case "opened", "clicked", "not_opened", "not_clicked":
            guard let step = value.scalarText else {
                diagnostics.error(
                    at: value.location, "'\(key)' takes a step id, found \(value.kindName)",
                    hint: "for example \(key): welcome")
                return nil
            }
            switch key {
            case "opened": return .opened(step: step)
            case "clicked": return .clicked(step: step)
            case "not_opened": return .notOpened(step: step)
            default: return .notClicked(step: step)
            }
        case "score_at_least", "fit_at_least", "engagement_at_least":
            guard let text = value.scalarText, let points = Int(text) else {
                diagnostics.error(at: value.location, "'\(key)' takes a whole number", hint: "for example \(key): 5")
                return nil
            }
            return key == "score_at_least"
                ? .scoreAtLeast(points) : key == "fit_at_least" ? .fitAtLeast(points) : .engagementAtLeast(points)
        case "event", "stage":
            guard let name = value.scalarText, Self.isIdentifier(name) else {
                diagnostics.error(
                    at: value.location, "'\(key)' takes one \(key) name",
                    hint: key == "event" ? "for example event: demo_requested" : "for example stage: mql")
                return nil
            }
            return key == "event" ? .event(name) : .stage(name)
        case "has_tag":
            guard let tag = value.scalarText, Self.isIdentifier(tag) else {
                diagnostics.error(at: value.location, "'has_tag' takes one tag name", hint: "for example has_tag: vip")
                return nil
            }
            return .hasTag(tag)
        case "attribute":
            return parseAttributeTest(value, into: &diagnostics)
        default:
            guard let items = value.items, !items.isEmpty else {
                diagnostics.error(
                    at: value.location, "'\(key)' takes a list of conditions, found \(value.kindName)",
                    hint: "for example \(key): [{ opened: welcome }, { has_tag: vip }]")
                return nil
            }
            let list = items.compactMap { parseCondition($0, into: &diagnostics) }
            guard list.count == items.count else { return nil }
            return key == "all" ? .all(list) : .any(list)
        }
    }

    private func parseAttributeTest(_ node: YAMLNode, into diagnostics: inout DiagnosticBag) -> Condition? {
        let example = "for example attribute: { name: plan, equals: pro }"
        guard let map = MappingReader(node, what: "'attribute'", into: &diagnostics) else { return nil }
        map.rejectUnknownKeys(allowed: Self.attributeTestKeys, in: "'attribute'", into: &diagnostics)
        guard let name = map.requiredText("name", in: "'attribute'", hint: example, into: &diagnostics) else {
            return nil
        }
        let tests = ["equals", "not_equals", "in", "exists"].filter { map[$0] != nil }
        guard tests.count == 1, let testKey = tests.first else {
            diagnostics.error(
                at: node.location, "'attribute' needs exactly one of equals, not_equals, in, exists", hint: example)
            return nil
        }
        switch testKey {
        case "in":
            let values = map.textList("in", into: &diagnostics).map(\.text)
            return .attribute(name: name.text, test: .oneOf(values))
        case "exists":
            guard let flag = map.optionalFlag("exists", into: &diagnostics) else {
                if map["exists"]?.isNull == true {
                    diagnostics.error(at: map["exists"]!.location, "'exists' must be true or false")
                }
                return nil
            }
            return .attribute(name: name.text, test: .exists(flag))
        default:
            guard let value = map.optionalText(testKey, into: &diagnostics)?.text else {
                diagnostics.error(at: map[testKey]!.location, "'\(testKey)' needs a value", hint: example)
                return nil
            }
            return .attribute(name: name.text, test: testKey == "equals" ? .equals(value) : .notEquals(value))
        }
    }
}
