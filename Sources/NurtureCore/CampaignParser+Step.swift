import Foundation

/// A step as parsed, with the places of its parts for later cross-step checks.
struct ParsedStep {
    var step: Step
    var idLocation: SourceLocation?
    var conditionLocation: SourceLocation?

    var id: String { step.id }
    var location: SourceLocation { step.location }
}

extension CampaignParser {
    static let stepKeys = [
        "id", "renamed_from", "wait", "wait_until", "subject", "template", "layout", "if", "else", "variants", "winner",
        "defaults",
    ]
    static let waitUntilKeys = ["attribute", "offset"]

    /// `defaults: { company: "your team" }`: values for variables a lead lacks.
    func parseDefaults(_ map: MappingReader, into diagnostics: inout DiagnosticBag) -> [String: String] {
        guard let node = map["defaults"], !node.isNull,
            let defaults = MappingReader(node, what: "'defaults'", into: &diagnostics)
        else { return [:] }
        var values: [String: String] = [:]
        for key in defaults.keys {
            guard let value = defaults.optionalText(key, into: &diagnostics) else { continue }
            if value.text.isEmpty {
                diagnostics.error(
                    at: value.node.location, "the default for '\(key)' is empty",
                    hint: "give a value that reads well in its place, like company: \"your team\"")
            }
            values[key] = value.text
        }
        return values
    }

    func parseStep(
        _ node: YAMLNode, defaultLayout: String?, defaults campaignDefaults: [String: String] = [:],
        into diagnostics: inout DiagnosticBag
    )
        -> ParsedStep?
    {
        guard let map = MappingReader(node, what: "a step", into: &diagnostics) else { return nil }
        map.rejectUnknownKeys(allowed: Self.stepKeys, in: "a step", into: &diagnostics)
        let idValue = map.requiredText(
            "id", in: "a step", hint: "give the step a short id like 'welcome'; it is how Nurture remembers who got it",
            into: &diagnostics)
        if let idValue, !Self.isIdentifier(idValue.text) {
            diagnostics.error(
                at: idValue.node.location, "'\(idValue.text)' is not a valid step id", hint: Self.identifierHint)
        }
        let what = idValue.map { "step '\($0.text)'" } ?? "a step"
        // With variants, the step's subject and template are what variants that leave
        // them out take.
        let hasVariants = map["variants"] != nil
        let subject =
            hasVariants
            ? map.optionalText("subject", into: &diagnostics)
            : map.requiredText(
                "subject", in: what, hint: "add a subject line, like subject: \"Welcome, {{first_name}}!\"",
                into: &diagnostics)
        let template =
            hasVariants
            ? map.optionalText("template", into: &diagnostics)
            : map.requiredText(
                "template", in: what, hint: "name the template without extension, like template: onboarding/welcome",
                into: &diagnostics)
        if let template, !Self.isTemplateName(template.text) {
            diagnostics.error(
                at: template.node.location, "'\(template.text)' is not a valid template name",
                hint: "a path under templates/ without extension, like onboarding/welcome (no '..', no leading '/')")
        }
        let timing = parseTiming(map, what: what, into: &diagnostics)
        var layout = defaultLayout
        if let written = map.optionalText("layout", into: &diagnostics) {
            layout = written.text == "none" ? nil : written.text
        }
        let condition = map["if"].flatMap { parseCondition($0, into: &diagnostics) }
        let otherwise = parseFallback(map, hasCondition: map["if"] != nil, into: &diagnostics)
        let renamedFrom = map.optionalText("renamed_from", into: &diagnostics)
        if let renamedFrom, !Self.isIdentifier(renamedFrom.text) {
            diagnostics.error(
                at: renamedFrom.node.location, "'\(renamedFrom.text)' is not a valid step id", hint: Self.identifierHint
            )
        }

        let variants =
            map["variants"].map {
                parseVariants($0, stepSubject: subject, stepTemplate: template, what: what, into: &diagnostics)
            } ?? []
        let winner = map["winner"].flatMap { parseWinner($0, variants: variants, what: what, into: &diagnostics) }

        // A step with an id is kept even when other parts are broken (the campaign is
        // invalid anyway), so duplicate ids and condition references are still checked.
        guard let idValue else { return nil }
        var step = Step(
            id: idValue.text, timing: timing ?? .wait(.zero), subject: subject?.text ?? "",
            template: template?.text ?? "",
            layout: layout, condition: condition, otherwise: otherwise, renamedFrom: renamedFrom?.text,
            location: node.location,
            subjectLocation: subject?.node.location, templateLocation: template?.node.location)
        step.variants = variants
        step.winner = winner
        step.defaults = campaignDefaults.merging(parseDefaults(map, into: &diagnostics)) { _, own in own }
        // Code that reads one subject and template (rename checks) sees the first variant.
        if !variants.isEmpty {
            step = step.rendering(variant: nil)
            step.variantID = nil
        }
        return ParsedStep(step: step, idLocation: idValue.node.location, conditionLocation: map["if"]?.location)
    }

    private func parseTiming(_ map: MappingReader, what: String, into diagnostics: inout DiagnosticBag) -> Step.Timing?
    {
        let wait = map.optionalText("wait", into: &diagnostics)
        let until = map["wait_until"]
        if wait != nil, let until {
            diagnostics.error(
                at: until.location, "\(what) has both 'wait' and 'wait_until'",
                hint: "keep one: 'wait' counts from the previous step, 'wait_until' from a date of the lead's")
            return nil
        }
        if let until { return parseWaitUntil(until, into: &diagnostics) }
        // A missing wait means "as soon as possible": right after enrolment or the previous step.
        guard let wait else { return .wait(.zero) }
        guard
            let duration = parseDuration(
                wait.text, at: wait.node.location, key: "wait", allowNegative: false, into: &diagnostics)
        else {
            return nil
        }
        return .wait(duration)
    }

    private func parseWaitUntil(_ node: YAMLNode, into diagnostics: inout DiagnosticBag) -> Step.Timing? {
        guard let map = MappingReader(node, what: "'wait_until'", into: &diagnostics) else { return nil }
        map.rejectUnknownKeys(allowed: Self.waitUntilKeys, in: "'wait_until'", into: &diagnostics)
        let attribute = map.requiredText(
            "attribute", in: "'wait_until'", hint: "name the lead's date attribute, like attribute: trial_ends_at",
            into: &diagnostics)
        var offset = DripDuration.zero
        if let written = map.optionalText("offset", into: &diagnostics) {
            guard
                let parsed = parseDuration(
                    written.text, at: written.node.location, key: "offset", allowNegative: true, into: &diagnostics)
            else {
                return nil
            }
            offset = parsed
        }
        guard let attribute else { return nil }
        return .waitUntil(attribute: attribute.text, offset: offset)
    }

    func parseDuration(
        _ text: String, at location: SourceLocation, key: String, allowNegative: Bool,
        into diagnostics: inout DiagnosticBag
    )
        -> DripDuration?
    {
        let examples = allowNegative ? "like 3d, 12h or -3d" : "like 30m, 12h, 2d or 1w"
        do {
            let duration = try DripDuration.parse(text)
            if duration.isNegative && !allowNegative {
                diagnostics.error(
                    at: location, "'\(key)' cannot be negative ('\(text)')",
                    hint: "a wait counts forward from the previous step, \(examples)")
                return nil
            }
            return duration
        } catch {
            let why = error == .tooLarge ? "is longer than ten years" : "is not a duration"
            diagnostics.error(
                at: location, "'\(key)' \(why): '\(text)'", hint: "write a number and a unit (m, h, d, w), \(examples)")
            return nil
        }
    }

    private func parseFallback(_ map: MappingReader, hasCondition: Bool, into diagnostics: inout DiagnosticBag)
        -> ConditionFallback
    {
        guard let written = map.optionalText("else", into: &diagnostics) else { return .skip }
        guard let fallback = ConditionFallback(rawValue: written.text) else {
            diagnostics.error(
                at: written.node.location, "'else' must be 'skip' or 'exit', not '\(written.text)'",
                hint: "skip (the default) moves on to the next step; exit ends the drip for the lead")
            return .skip
        }
        if !hasCondition {
            diagnostics.warning(at: written.node.location, "'else' has no effect without an 'if'")
        }
        return fallback
    }

    /// Template names are relative paths; refusing `..` keeps a campaign from reading
    /// files outside `templates/`.
    static func isTemplateName(_ text: String) -> Bool {
        guard !text.isEmpty, !text.hasPrefix("/"), !text.hasSuffix("/") else { return false }
        return text.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { part in
            !part.isEmpty && part != ".." && part != "."
                && part.unicodeScalars.allSatisfy {
                    $0.isASCII
                        && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "_-.".unicodeScalars.contains($0))
                }
        }
    }
}
