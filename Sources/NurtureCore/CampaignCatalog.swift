import Foundation

/// All campaigns of a project with their templates, checked against each other: what
/// `validate`, `preview` and `run` load before doing anything.
public struct CampaignCatalog: Sendable {
    public var campaigns: [Campaign]
    public var templates: TemplateSet
    public var diagnostics: DiagnosticBag

    public func campaign(_ id: String) -> Campaign? { campaigns.first { $0.id == id } }

    /// Reads `campaignsDirectory/*.yml` and `templatesDirectory/**`. Paths in messages
    /// are shown relative to `displayRoot` (the project folder).
    public static func load(
        campaignsDirectory: URL, templatesDirectory: URL, displayRoot: URL,
        isKnownTimeZone: @escaping @Sendable (String) -> Bool = TimeZoneNames.isKnown
    ) -> CampaignCatalog {
        var diagnostics = DiagnosticBag()
        var templates = TemplateSet.load(
            directory: templatesDirectory, displayDirectory: display(templatesDirectory, root: displayRoot),
            into: &diagnostics)
        var drafts: [Campaign] = []
        var validIDs: Set<String> = []
        let files = (try? FileManager.default.contentsOfDirectory(atPath: campaignsDirectory.path)) ?? []
        for name in files.sorted() where name.hasSuffix(".yml") || name.hasSuffix(".yaml") {
            let url = campaignsDirectory.appendingPathComponent(name)
            let file = display(url, root: displayRoot)
            guard let data = FileManager.default.contents(atPath: url.path),
                let text = String(data: data, encoding: .utf8)
            else {
                diagnostics.error(
                    at: SourceLocation(file: file, line: 1, column: 1), "cannot read the file as UTF-8 text")
                continue
            }
            let parser = CampaignParser(file: file, isKnownTimeZone: isKnownTimeZone)
            if let draft = parser.parseDraft(text, into: &diagnostics) {
                drafts.append(draft.campaign)
                if draft.isValid { validIDs.insert(draft.campaign.file) }
            }
        }
        if drafts.isEmpty && !diagnostics.hasErrors {
            diagnostics.error(
                at: SourceLocation(file: display(campaignsDirectory, root: displayRoot), line: 1, column: 1),
                "no campaign files (*.yml) found", hint: "create one, like campaigns/trial-onboarding.yml")
        }
        drafts = rejectDuplicateIDs(drafts, into: &diagnostics)
        for campaign in drafts {
            let errorsBefore = diagnostics.errors.count
            checkTemplates(of: campaign, templates: &templates, into: &diagnostics)
            if diagnostics.errors.count > errorsBefore { validIDs.remove(campaign.file) }
        }
        checkPartials(templates: templates, into: &diagnostics)
        checkLinkSchemes(templates: templates, into: &diagnostics)
        // Only campaigns without errors can be previewed or sent.
        let campaigns = drafts.filter { validIDs.contains($0.file) }
        return CampaignCatalog(campaigns: campaigns, templates: templates, diagnostics: diagnostics)
    }

    static func display(_ url: URL, root: URL) -> String {
        let path = url.standardizedFileURL.path
        let rootPath = root.standardizedFileURL.path + "/"
        return path.hasPrefix(rootPath) ? String(path.dropFirst(rootPath.count)) : path
    }

    private static func rejectDuplicateIDs(_ campaigns: [Campaign], into diagnostics: inout DiagnosticBag) -> [Campaign]
    {
        var seen: [String: Campaign] = [:]
        var unique: [Campaign] = []
        for campaign in campaigns {
            if let first = seen[campaign.id] {
                diagnostics.error(
                    at: SourceLocation(file: campaign.file, line: 1, column: 1),
                    "campaign id '\(campaign.id)' is also used by \(first.file)",
                    hint: "campaign ids must be unique; set a different 'id:' in one of the files")
                continue
            }
            seen[campaign.id] = campaign
            unique.append(campaign)
        }
        return unique
    }

    /// Each step needs at least one part; layouts must exist and place the body; the
    /// subject must compile; partials must exist in the part that includes them.
    private static func checkTemplates(
        of campaign: Campaign, templates: inout TemplateSet, into diagnostics: inout DiagnosticBag
    ) {
        let dir = templates.displayDirectory
        for step in campaign.steps.flatMap(\.renderings) where !step.template.isEmpty {
            if templates.parts(of: step.template).isEmpty {
                let known = Set(TemplatePart.allCases.flatMap { templates.sources[$0]!.keys }).filter {
                    !$0.hasPrefix("@")
                }
                diagnostics.error(
                    at: step.templateLocation, "template '\(step.template)' does not exist",
                    hint:
                        "\(Suggestion.didYouMean(step.template, among: known))create \(dir)/\(step.template).html.mustache and/or \(dir)/\(step.template).txt.mustache"
                )
            }
            // Variants share the step's layout: checked once.
            if let layout = step.layout, step.variantID == step.variants.first?.id {
                checkLayout(layout, step: step, templates: templates, into: &diagnostics)
            }
            let name = MessageRenderer.subjectTemplateName(campaign: campaign.id, step: step.subjectKey)
            if let error = templates.register(step.subject, named: name, part: .text, file: step.subjectLocation.file) {
                diagnostics.error(
                    at: step.subjectLocation, "the subject has a \(error.message)",
                    hint: "variables are written {{first_name}}")
            }
        }
    }

    private static func checkLayout(
        _ layout: String, step: Step, templates: TemplateSet, into diagnostics: inout DiagnosticBag
    ) {
        let dir = templates.displayDirectory
        guard !templates.parts(of: layout).isEmpty else {
            diagnostics.error(
                at: step.location, "layout '\(layout)' of step '\(step.id)' does not exist",
                hint: "create \(dir)/\(layout).html.mustache, or write layout: none")
            return
        }
        if let html = templates.source(layout, part: .html),
            !html.contains("{{{body}}}") && !html.contains("{{& body}}") && !html.contains("{{&body}}")
        {
            diagnostics.error(
                at: SourceLocation(file: "\(dir)/\(layout).html.mustache", line: 1, column: 1),
                "the layout never places the step's body",
                hint: "put {{{body}}} (three braces, so the step's HTML is not escaped) where the step's content goes")
        }
    }

    /// A `javascript:` or `data:` link in mail is an attack or a mistake: refused.
    private static func checkLinkSchemes(templates: TemplateSet, into diagnostics: inout DiagnosticBag) {
        for name in templates.sources[.html]!.keys.sorted() where !name.hasPrefix("@") {
            for link in LinkSchemeCheck.dangerousLinks(in: templates.sources[.html]![name]!) {
                diagnostics.error(
                    at: SourceLocation(
                        file: "\(templates.displayDirectory)/\(name).\(TemplatePart.html.fileExtension)",
                        line: link.line, column: link.column),
                    "link '\(link.url)' uses a scheme that runs code or embeds content; mail links must be http(s), mailto: or tel:",
                    hint: "link to a page instead")
            }
        }
    }

    /// swift-mustache renders a missing partial as nothing; a typo would silently drop
    /// a footer with the unsubscribe link, so it is an error here.
    private static func checkPartials(templates: TemplateSet, into diagnostics: inout DiagnosticBag) {
        for part in TemplatePart.allCases {
            for (name, outline) in templates.outlines[part]!.sorted(by: { $0.key < $1.key }) where !name.hasPrefix("@")
            {
                for (tag, _) in outline.partials where !templates.contains(tag.name, part: part) {
                    diagnostics.error(
                        at: SourceLocation(
                            file: "\(templates.displayDirectory)/\(name).\(part.fileExtension)", line: tag.line,
                            column: tag.column),
                        "partial '\(tag.name)' does not exist as \(templates.displayDirectory)/\(tag.name).\(part.fileExtension)",
                        hint:
                            "partials are named without extension and resolve to the file of the same part (.html or .txt)"
                    )
                }
            }
        }
    }
}
