import Foundation
import NurtureCore

extension Settings {
    static let scoreKeys = ["open", "click", "events", "half_life", "fit"]
    static let fitTests = ["at_least", "at_most", "equals", "in", "matches", "free_email"]

    /// `score:`: points for opens, clicks and events, their half-life, and fit rules.
    static func readScore(_ node: YAMLNode, into settings: inout Settings, _ diagnostics: inout DiagnosticBag) {
        guard let map = MappingReader(node, what: "'score'", into: &diagnostics) else { return }
        map.rejectUnknownKeys(allowed: scoreKeys, in: "'score'", into: &diagnostics)
        if let value = map.optionalText("open", into: &diagnostics), let open = points("open", value, &diagnostics) {
            settings.scoreRules.open = open
        }
        if let value = map.optionalText("click", into: &diagnostics), let click = points("click", value, &diagnostics) {
            settings.scoreRules.click = click
        }
        if let node = map["events"], !node.isNull,
            let events = MappingReader(node, what: "'score.events'", into: &diagnostics)
        {
            for name in events.keys {
                if let value = events.optionalText(name, into: &diagnostics),
                    let score = points(name, value, &diagnostics)
                {
                    settings.scoreRules.events[name] = score
                }
            }
        }
        if let value = map.optionalText("half_life", into: &diagnostics) {
            settings.scoreRules.halfLife = halfLife(value, &diagnostics)
        }
        if let node = map["fit"], !node.isNull {
            guard let items = node.items else {
                diagnostics.error(
                    at: node.location, "'score.fit' takes a list of rules, found \(node.kindName)",
                    hint: "for example fit: [{ attribute: employees, at_least: 200, points: 20 }]")
                return
            }
            settings.scoreRules.fit = items.compactMap { fitRule($0, &diagnostics) }
        }
    }

    private static func points(
        _ key: String, _ value: (text: String, node: YAMLNode), _ diagnostics: inout DiagnosticBag
    ) -> Int? {
        guard let points = Int(value.text), abs(points) <= 1_000_000 else {
            diagnostics.error(
                at: value.node.location, "'\(key)' must be a whole number of points, not '\(value.text)'",
                hint: "like 3 or -5")
            return nil
        }
        return points
    }

    /// `30d`, `12h`, `2w`; `none` (or absent) for points that keep their value.
    private static func halfLife(_ value: (text: String, node: YAMLNode), _ diagnostics: inout DiagnosticBag)
        -> TimeInterval?
    {
        if value.text.lowercased() == "none" { return nil }
        guard let duration = try? DripDuration.parse(value.text), !duration.isNegative, duration != .zero else {
            diagnostics.error(
                at: value.node.location, "'half_life' must be a positive duration or none, not '\(value.text)'",
                hint: "like 30d, 2w or 12h")
            return nil
        }
        // Engagement decays in elapsed time, so a day is 24 hours here.
        return TimeInterval(duration.days) * 86_400 + TimeInterval(duration.minutes) * 60
    }

    /// One fit rule: an attribute with one test (or `free_email`), and its points.
    private static func fitRule(_ node: YAMLNode, _ diagnostics: inout DiagnosticBag) -> FitRule? {
        guard let map = MappingReader(node, what: "a fit rule", into: &diagnostics) else { return nil }
        map.rejectUnknownKeys(allowed: ["attribute", "points"] + fitTests, in: "a fit rule", into: &diagnostics)
        let example = "like { attribute: employees, at_least: 200, points: 20 } or { free_email: true, points: -10 }"
        let tests = fitTests.filter { map[$0] != nil }
        guard tests.count == 1, let key = tests.first, let testNode = map[key] else {
            diagnostics.error(
                at: node.location,
                tests.isEmpty
                    ? "a fit rule needs one test: \(fitTests.joined(separator: ", "))"
                    : "a fit rule has one test, not \(tests.joined(separator: " and "))", hint: example)
            return nil
        }
        guard let pointsValue = map.requiredText("points", in: "a fit rule", hint: example, into: &diagnostics),
            let points = points("points", pointsValue, &diagnostics)
        else { return nil }
        let attribute = map.optionalText("attribute", into: &diagnostics)
        if key == "free_email" {
            if let attribute {
                diagnostics.error(
                    at: attribute.node.location, "'free_email' reads the address, not an attribute",
                    hint: "remove 'attribute'")
            }
            guard let free = map.optionalFlag("free_email", into: &diagnostics) else { return nil }
            return FitRule(attribute: nil, test: .freeEmail(free), points: points)
        }
        guard let attribute else {
            diagnostics.error(at: node.location, "a fit rule with '\(key)' needs 'attribute'", hint: example)
            return nil
        }
        let test: FitRule.Test
        switch key {
        case "in":
            guard let items = testNode.items?.compactMap(\.scalarText), !items.isEmpty else {
                diagnostics.error(at: testNode.location, "'in' takes a list of values", hint: "like in: [US, CA, GB]")
                return nil
            }
            test = .oneOf(items)
        case "at_least", "at_most":
            guard let text = testNode.scalarText, let bound = Double(text), bound.isFinite else {
                diagnostics.error(
                    at: testNode.location,
                    "'\(key)' takes a number, not \(testNode.scalarText.map { "'\($0)'" } ?? testNode.kindName)",
                    hint: "like \(key): 200")
                return nil
            }
            test = key == "at_least" ? .atLeast(bound) : .atMost(bound)
        case "matches":
            guard let text = testNode.scalarText else {
                diagnostics.error(
                    at: testNode.location, "'matches' takes a regular expression",
                    hint: #"like matches: "(?i)\b(vp|director)\b""#)
                return nil
            }
            do {
                test = .matches(try FitPattern(text))
            } catch {
                diagnostics.error(
                    at: testNode.location, "'matches' is not a valid regular expression: \(error)",
                    hint: #"like matches: "(?i)\b(vp|director)\b""#)
                return nil
            }
        default:
            guard let text = testNode.scalarText else {
                diagnostics.error(at: testNode.location, "'equals' takes one value, found \(testNode.kindName)")
                return nil
            }
            test = .equals(text)
        }
        return FitRule(attribute: attribute.text, test: test, points: points)
    }
}
