import Foundation

/// Reads one campaign file into a `Campaign`, collecting every problem it finds rather
/// than stopping at the first (so `nurture validate` can list them all).
///
/// It checks what one file can tell on its own; `CampaignCatalog` checks what needs
/// all files and the templates (duplicate ids across files, missing templates).
public struct CampaignParser {
    public static let campaignKeys = [
        "id", "name", "from", "reply_to", "enroll", "exit_on", "reenroll", "send_window", "max_late", "layout",
        "defaults", "steps",
    ]
    static let enrollKeys = ["tags", "events"]

    /// `file` is the path as it should appear in messages (relative to the project).
    public let file: String
    /// The IANA zone names this machine knows, to check `timezone` values.
    let isKnownTimeZone: @Sendable (String) -> Bool

    public init(file: String, isKnownTimeZone: @escaping @Sendable (String) -> Bool = TimeZoneNames.isKnown) {
        self.file = file
        self.isKnownTimeZone = isKnownTimeZone
    }

    /// The campaign, or nil when the file has errors; `diagnostics` receives all of them.
    public func parse(_ text: String, into diagnostics: inout DiagnosticBag) -> Campaign? {
        guard let draft = parseDraft(text, into: &diagnostics), draft.isValid else { return nil }
        return draft.campaign
    }

    /// The campaign as far as it could be read, even with errors, so that checks which
    /// need the templates still run and `validate` reports everything in one go.
    /// Nil only when the file is not a YAML mapping at all.
    public func parseDraft(_ text: String, into diagnostics: inout DiagnosticBag) -> (
        campaign: Campaign, isValid: Bool
    )? {
        let errorsBefore = diagnostics.errors.count
        guard let root = YAMLNode.parse(text, file: file, into: &diagnostics) else {
            reportPastSyntaxErrors(text, into: &diagnostics)
            return nil
        }
        guard let map = MappingReader(root, what: "a campaign", into: &diagnostics) else { return nil }
        map.rejectUnknownKeys(allowed: Self.campaignKeys, in: "a campaign", into: &diagnostics)

        let id = parseCampaignID(map, into: &diagnostics)
        let name = map.optionalText("name", into: &diagnostics)?.text ?? id
        let from = parseMailbox(
            map.requiredText(
                "from", in: "the campaign", hint: "write who sends it, like from: \"Ada from Acme <ada@acme.example>\"",
                into: &diagnostics),
            key: "from", into: &diagnostics)
        let replyTo = parseMailbox(
            map.optionalText("reply_to", into: &diagnostics), key: "reply_to", into: &diagnostics)
        let enroll = parseEnrollment(map, into: &diagnostics)
        let exitOn = map.textList("exit_on", into: &diagnostics)
        for event in exitOn where !Self.isIdentifier(event.text) {
            diagnostics.error(
                at: event.node.location, "'\(event.text)' is not a valid event name", hint: Self.identifierHint)
        }
        let reenroll = map.optionalFlag("reenroll", into: &diagnostics) ?? false
        let window = map["send_window"].flatMap { parseSendWindow($0, into: &diagnostics) }
        let maxLate = map.optionalText("max_late", into: &diagnostics).flatMap {
            parseDuration($0.text, at: $0.node.location, key: "max_late", allowNegative: false, into: &diagnostics)
        }
        let layout = parseLayout(map, into: &diagnostics)
        let steps = parseSteps(
            map, defaultLayout: layout, defaults: parseDefaults(map, into: &diagnostics), into: &diagnostics)

        var campaign = Campaign(
            id: id, name: name, from: from ?? Self.placeholderSender, replyTo: replyTo, enroll: enroll,
            exitOn: exitOn.map(\.text), sendWindow: window, maxLate: maxLate, steps: steps, file: file)
        campaign.reenroll = reenroll
        return (campaign, diagnostics.errors.count == errorsBefore && from != nil)
    }

    /// After a YAML syntax error the file cannot be read as written; to still report the
    /// other problems in it, the lines libyaml stumbles on are commented out one by one
    /// (a few at most) and the rest is checked. Only problems found at places outside the
    /// lines taken out are reported, and none of the "missing 'x'" kind, which taking a
    /// line out may itself cause.
    private func reportPastSyntaxErrors(_ text: String, into diagnostics: inout DiagnosticBag) {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var removed: Set<Int> = []
        for _ in 0..<5 {
            var scratch = DiagnosticBag()
            let parsed = YAMLNode.parse(lines.joined(separator: "\n"), file: file, into: &scratch)
            if parsed == nil {
                // The syntax error's line: take it out and try again.
                guard let line = scratch.errors.first?.location.line, line >= 1, line <= lines.count,
                    !removed.contains(line)
                else { return }
                removed.insert(line)
                lines[line - 1] = "#" + lines[line - 1]
                continue
            }
            var recovered = DiagnosticBag()
            _ = parseDraft(lines.joined(separator: "\n"), into: &recovered)
            for problem in recovered.all
            where !removed.contains(problem.location.line) && !problem.message.contains(" is missing ") {
                diagnostics.append(problem)
            }
            return
        }
    }

    /// Stands in for a missing or broken `from` in a draft; never sent (drafts with
    /// errors are not valid campaigns).
    static let placeholderSender = Mailbox(displayName: nil, address: try! EmailAddress("missing@invalid.example"))

    private func parseCampaignID(_ map: MappingReader, into diagnostics: inout DiagnosticBag) -> String {
        if let written = map.optionalText("id", into: &diagnostics) {
            if !Self.isIdentifier(written.text) {
                diagnostics.error(
                    at: written.node.location, "'\(written.text)' is not a valid campaign id", hint: Self.identifierHint
                )
            }
            return written.text
        }
        // The file name is the default id; it must be a valid id too.
        let base = (file as NSString).lastPathComponent
        let id =
            base.hasSuffix(".yml")
            ? String(base.dropLast(4)) : base.hasSuffix(".yaml") ? String(base.dropLast(5)) : base
        if !Self.isIdentifier(id) {
            diagnostics.error(
                at: map.node.location, "the file name '\(base)' does not make a valid campaign id",
                hint: "add an 'id:' line, or rename the file; \(Self.identifierHint)")
        }
        return id
    }

    private func parseMailbox(
        _ value: (text: String, node: YAMLNode)?, key: String, into diagnostics: inout DiagnosticBag
    ) -> Mailbox? {
        guard let value else { return nil }
        do {
            return try Mailbox(parsing: value.text)
        } catch {
            diagnostics.error(
                at: value.node.location, "'\(key)' is not a valid address: \(error)",
                hint: "write it as \"Name <user@example.com>\" or user@example.com")
            return nil
        }
    }

    private func parseEnrollment(_ map: MappingReader, into diagnostics: inout DiagnosticBag) -> EnrollmentRule {
        let hint = "say who enters the drip, like enroll: { tags: [trial] } or enroll: { events: [signed_up] }"
        guard let node = map["enroll"], !node.isNull else {
            diagnostics.error(at: map.node.location, "the campaign is missing 'enroll'", hint: hint)
            return EnrollmentRule()
        }
        guard let enroll = MappingReader(node, what: "'enroll'", into: &diagnostics) else { return EnrollmentRule() }
        enroll.rejectUnknownKeys(allowed: Self.enrollKeys, in: "'enroll'", into: &diagnostics)
        let tags = enroll.textList("tags", into: &diagnostics)
        let events = enroll.textList("events", into: &diagnostics)
        for item in tags + events where !Self.isIdentifier(item.text) {
            diagnostics.error(
                at: item.node.location, "'\(item.text)' is not a valid tag or event name", hint: Self.identifierHint)
        }
        if tags.isEmpty && events.isEmpty {
            diagnostics.error(
                at: node.location, "'enroll' names no tags and no events, so nobody would ever enter", hint: hint)
        }
        return EnrollmentRule(tags: tags.map(\.text), events: events.map(\.text))
    }

    private func parseLayout(_ map: MappingReader, into diagnostics: inout DiagnosticBag) -> String? {
        guard let layout = map.optionalText("layout", into: &diagnostics) else { return nil }
        return layout.text == "none" ? nil : layout.text
    }

    private func parseSteps(
        _ map: MappingReader, defaultLayout: String?, defaults: [String: String], into diagnostics: inout DiagnosticBag
    ) -> [Step] {
        guard let node = map["steps"], !node.isNull else {
            diagnostics.error(
                at: map.node.location, "the campaign is missing 'steps'",
                hint: "list at least one step with an id, a subject and a template")
            return []
        }
        guard let items = node.items, !items.isEmpty else {
            diagnostics.error(
                at: node.location, "'steps' should be a list of steps, found \(node.kindName)",
                hint: "start each step with '- id: …'")
            return []
        }
        var steps: [ParsedStep] = []
        var seen: [String: SourceLocation] = [:]
        for item in items {
            guard let step = parseStep(item, defaultLayout: defaultLayout, defaults: defaults, into: &diagnostics)
            else { continue }
            if let first = seen[step.id] {
                diagnostics.error(
                    at: step.idLocation ?? step.location,
                    "step id '\(step.id)' is used twice (first at line \(first.line))",
                    hint: "step ids are how Nurture remembers what each lead got; give every step its own id")
                // Kept in the (now invalid) draft so its template is still checked.
                steps.append(step)
                continue
            }
            seen[step.id] = step.idLocation ?? step.location
            steps.append(step)
        }
        checkRenames(steps, into: &diagnostics)
        checkConditionReferences(steps, into: &diagnostics)
        return steps.map(\.step)
    }

    /// `renamed_from` names an id that is gone from the file, once.
    private func checkRenames(_ steps: [ParsedStep], into diagnostics: inout DiagnosticBag) {
        let ids = Set(steps.map(\.id))
        var claimed: [String: String] = [:]
        for step in steps {
            guard let old = step.step.renamedFrom else { continue }
            if ids.contains(old) {
                diagnostics.error(
                    at: step.location,
                    "step '\(step.id)' is renamed_from '\(old)', but a step '\(old)' is still in the file",
                    hint: "renamed_from names the id the step had before; remove it, or the old step")
            } else if let other = claimed[old] {
                diagnostics.error(
                    at: step.location, "steps '\(other)' and '\(step.id)' are both renamed_from '\(old)'",
                    hint: "a step's history can carry over to one step only")
            }
            claimed[old] = claimed[old] ?? step.id
        }
    }

    /// A condition may only look at steps that come before it: a later step has not
    /// been sent yet when this one is due, so the condition could never be true. A
    /// step's former id (`renamed_from`) names that step.
    private func checkConditionReferences(_ steps: [ParsedStep], into diagnostics: inout DiagnosticBag) {
        let ids = steps.map(\.id)
        for (index, step) in steps.enumerated() {
            for reference in step.step.condition?.referencedSteps ?? [] {
                guard
                    let position = ids.firstIndex(of: reference)
                        ?? steps.firstIndex(where: { $0.step.renamedFrom == reference })
                else {
                    diagnostics.error(
                        at: step.conditionLocation ?? step.location,
                        "step '\(step.id)' has a condition on step '\(reference)', which does not exist",
                        hint:
                            "\(Suggestion.didYouMean(reference, among: ids))steps here: \(ids.joined(separator: ", "))")
                    continue
                }
                if position >= index {
                    diagnostics.error(
                        at: step.conditionLocation ?? step.location,
                        "step '\(step.id)' has a condition on step '\(reference)', which \(position == index ? "is the step itself" : "comes later")",
                        hint: "a condition can only look at earlier steps: \(ids[..<index].joined(separator: ", "))")
                }
            }
        }
    }

    public static let identifierHint = "use letters, digits, '_' and '-' (starting with a letter or digit)"

    /// Ids, tags and event names: short, URL- and shell-safe words.
    public static func isIdentifier(_ text: String) -> Bool {
        let utf8 = text.utf8
        guard let first = utf8.first, utf8.count <= 100, isAlphanumeric(first) else { return false }
        return utf8.allSatisfy {
            isAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".")
        }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }
}
