/// A step rendered for one lead: what would be sent, before MIME encoding.
public struct RenderedStep: Sendable, Hashable {
    public var subject: String
    public var html: String?
    public var text: String?
    /// Variables the templates use that this lead lacks (they rendered empty).
    public var warnings: [String]
}

/// Renders a step's subject and parts for a lead. Pure: same inputs, same output.
public struct MessageRenderer: Sendable {
    public let templates: TemplateSet

    public init(templates: TemplateSet) {
        self.templates = templates
    }

    /// The variables a template sees: the lead's custom attributes, then the lead's own
    /// fields and Nurture's, which win over attributes of the same name, then the step's
    /// `defaults` for what is still missing. Empty values are left out so that they
    /// count as missing.
    public static func variables(for lead: Lead, campaign: Campaign, step: Step, unsubscribeURL: String) -> [String:
        String]
    {
        // One dictionary, sized once: the send loop builds one per message.
        var variables: [String: String] = [:]
        variables.reserveCapacity(lead.attributes.count + 6 + step.defaults.count)
        for (name, value) in lead.attributes where !value.isEmpty { variables[name] = value }
        func set(_ name: String, _ value: String?) {
            if let value, !value.isEmpty {
                variables[name] = value
            } else {
                variables.removeValue(forKey: name)
            }
        }
        set("email", lead.email.address)
        set("first_name", lead.firstName)
        set("last_name", lead.lastName)
        set("unsubscribe_url", unsubscribeURL)
        set("campaign", campaign.name)
        set("step", step.id)
        for (name, value) in step.defaults where variables[name] == nil { variables[name] = value }
        return variables
    }

    /// `collectWarnings: false` skips the missing-variable check: the send loop renders
    /// thousands of messages per tick and has nobody to show the warnings to.
    public func render(campaign: Campaign, step: Step, lead: Lead, unsubscribeURL: String, collectWarnings: Bool = true)
        -> RenderedStep
    {
        let variables = Self.variables(for: lead, campaign: campaign, step: step, unsubscribeURL: unsubscribeURL)
        let context = RenderContext(variables)
        let subjectName = Self.subjectTemplateName(campaign: campaign.id, step: step.subjectKey)
        let rawSubject = templates.render(subjectName, part: .text, context: context) ?? step.subject
        var parts: [TemplatePart: String] = [:]
        for part in templates.parts(of: step.template) {
            guard let body = templates.render(step.template, part: part, context: context) else { continue }
            if let layout = step.layout, templates.contains(layout, part: part) {
                var wrapped = variables
                wrapped["body"] = body
                parts[part] = templates.render(layout, part: part, context: RenderContext(wrapped)) ?? body
            } else {
                parts[part] = body
            }
        }
        return RenderedStep(
            subject: Self.singleLine(rawSubject), html: parts[.html], text: parts[.text],
            warnings: collectWarnings
                ? missingVariables(campaign: campaign, step: step, lead: lead, available: Set(variables.keys)) : [])
    }

    /// The name under which a step's subject line is registered as a text template.
    /// `@` cannot appear in a partial name, so no template file can collide with it.
    public static func subjectTemplateName(campaign: String, step: String) -> String { "@subject/\(campaign)/\(step)" }

    /// A subject is one header line: line breaks and tabs become spaces.
    static func singleLine(_ text: String) -> String {
        // Printable ASCII with single spaces inside (nearly every subject) is already one line.
        let utf8 = text.utf8
        var previous: UInt8 = 0x20
        if utf8.allSatisfy({ byte in
            defer { previous = byte }
            return byte > 0x20 && byte < 0x7F || (byte == 0x20 && previous != 0x20)
        }), previous != 0x20 {
            return text
        }
        let flattened = text.unicodeScalars.map {
            $0.properties.generalCategory == .control || $0 == "\u{2028}" || $0 == "\u{2029}" ? " " : String($0)
        }.joined()
        return flattened.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }

    /// The variables a step always renders (subject, template, layout), each with the
    /// first file that uses it, in file order.
    public func variableUses(campaign: Campaign, step: Step) -> [(variable: String, file: String)] {
        var uses: [(variable: String, file: String)] = []
        func collect(_ name: String, _ part: TemplatePart, file: String, except: Set<String> = []) {
            for variable in templates.unconditionalVariables(of: name, part: part).subtracting(except).sorted() {
                uses.append((variable, file))
            }
        }
        collect(
            Self.subjectTemplateName(campaign: campaign.id, step: step.subjectKey), .text,
            file: "the subject of step \(step.label)")
        for part in templates.parts(of: step.template) {
            collect(step.template, part, file: "\(templates.displayDirectory)/\(step.template).\(part.fileExtension)")
            if let layout = step.layout, templates.contains(layout, part: part) {
                collect(
                    layout, part, file: "\(templates.displayDirectory)/\(layout).\(part.fileExtension)",
                    except: ["body"])
            }
        }
        return uses
    }

    private func missingVariables(campaign: Campaign, step: Step, lead: Lead, available: Set<String>) -> [String] {
        let uses = variableUses(campaign: campaign, step: step)
        var reported: Set<String> = []
        var warnings: [String] = []
        for use in uses where !available.contains(use.variable) && reported.insert(use.variable).inserted {
            warnings.append("lead \(lead.email) has no '\(use.variable)' (used in \(use.file)); it renders empty")
        }
        return warnings
    }
}
