import ArgumentParser
import Foundation
import NurtureCore

struct PreviewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preview",
        abstract: "Render a step for a lead, locally, without sending anything.",
        discussion: """
            Renders for a lead from the store (--lead), or for a sample lead built from
            --attr K=V (email, first_name, last_name and timezone set the lead's own fields).
            Variables the lead lacks render empty and are listed as warnings on stderr.
            A step with A/B variants renders each of them in turn, or one with --variant.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        /// The whole message as it would go on the wire (RFC 5322, MIME).
        case text, html, eml
    }

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The campaign id.") var campaign: String
    @Argument(help: "The step id.") var step: String
    @Option(help: ArgumentHelp("Render for this lead from the store.", valueName: "email")) var lead: String?
    @Option(help: "text or html (one part), or eml (the whole message); default: text when the step has one.")
    var format: Format?
    @Option(help: ArgumentHelp("Write the part to this file; the subject goes to stdout.", valueName: "file")) var out:
        String?
    @Option(help: ArgumentHelp("Of a step with A/B variants, render only this one.", valueName: "id")) var variant:
        String?
    @Option(
        name: .customLong("attr"),
        help: ArgumentHelp("An attribute of the sample lead (repeatable).", valueName: "key=value"))
    var attributes: [AttributeArgument] = []

    func validate() throws {
        if lead != nil && !attributes.isEmpty {
            throw ValidationError("use either --lead (a lead from the store) or --attr (a sample lead), not both")
        }
    }

    func run() async throws {
        let project = try Project(options: global)
        let catalog = project.loadCatalog()
        guard let campaign = catalog.campaign(campaign) else { throw missingCampaign(catalog) }
        guard let step = campaign.step(step) else {
            throw UserError(
                "campaign '\(campaign.id)' has no step '\(self.step)'; \(Suggestion.didYouMean(self.step, among: campaign.steps.map(\.id)))steps: \(campaign.steps.map(\.id).joined(separator: ", "))"
            )
        }
        var renderings = step.renderings
        if let variant {
            guard step.variants.contains(where: { $0.id == variant }) else {
                let ids = step.variants.map(\.id)
                throw UserError(
                    ids.isEmpty
                        ? "step '\(step.id)' has no variants"
                        : "step '\(step.id)' has no variant '\(variant)'; \(Suggestion.didYouMean(variant, among: ids))variants: \(ids.joined(separator: ", "))"
                )
            }
            renderings = [step.rendering(variant: variant)]
        } else if renderings.count > 1, out != nil || format == .eml {
            throw UserError(
                "step '\(step.id)' has variants (\(step.variants.map(\.id).joined(separator: ", "))); say which with --variant"
            )
        }
        let (recipient, timeline) = try await resolveLead(project)
        // The send loop's own path: rendering, link rewriting (when tracking is on), MIME.
        var rewriter: LinkRewriter?
        if project.tracksLinks {
            // The installation's secret when there is a store; a throw-away one otherwise.
            var signer = LinkSigner(secret: "preview-only, not this installation's secret")
            if let store = try? await project.openStore() { signer = try await project.linkSigner(store: store) }
            rewriter = LinkRewriter(links: project.trackingLinks(signer: signer))
        }
        if let condition = step.explainCondition(
            for: recipient, timeline: timeline, in: campaign, scoreRules: project.settings.scoreRules, at: Date())
        {
            Terminal.writeError("condition of step '\(step.id)' for \(recipient.email): \(condition.text)\n")
        }
        let assembler = MessageAssembler(
            templates: catalog.templates, linkRewriter: rewriter,
            composer: MessageComposer(
                unsubscribeMailbox: project.settings.unsubscribeMailbox, dkim: try project.dkimSigner()))
        for (index, version) in renderings.enumerated() {
            if renderings.count > 1 { print("\(index == 0 ? "" : "\n")== variant \(version.variantID ?? "") ==") }
            try render(version, campaign: campaign, lead: recipient, assembler: assembler, baseURL: project.baseURL)
        }
    }

    private func render(
        _ step: Step, campaign: Campaign, lead recipient: Lead, assembler: MessageAssembler, baseURL: String
    ) throws {
        let (rendered, message) = assembler.preview(
            campaign: campaign, step: step, lead: recipient, baseURL: baseURL, date: Date())
        for warning in rendered.warnings { Terminal.warning(warning) }

        let format = format ?? (rendered.text != nil ? .text : .html)
        if format == .eml {
            try emit(message.data, subject: rendered.subject, format: format)
            return
        }
        guard let body = format == .text ? rendered.text : rendered.html else {
            let other: Format = format == .text ? .html : .text
            throw UserError(
                "step '\(step.id)' has no \(format.rawValue) part (no \(step.template).\(format == .text ? "txt" : "html").mustache); try --format \(other.rawValue)"
            )
        }
        try emit(body, subject: rendered.subject, format: format)
    }

    /// To `--out` (the subject goes to stdout), or to stdout after a Subject line.
    private func emit(_ body: String, subject: String, format: Format) throws {
        if let out {
            do { try Data(body.utf8).write(to: URL(fileURLWithPath: out)) } catch {
                throw UserError("cannot write \(out): \(error.localizedDescription)")
            }
            print("Subject: \(subject)")
            print("wrote the \(format == .eml ? "message" : "\(format.rawValue) part") to \(out)")
        } else if format == .eml {
            print(body, terminator: "")
        } else {
            print("Subject: \(subject)\n")
            print(body, terminator: body.hasSuffix("\n") ? "" : "\n")
        }
    }

    private func missingCampaign(_ catalog: CampaignCatalog) -> UserError {
        let broken = catalog.diagnostics.errors
        if !broken.isEmpty {
            return UserError(
                "no valid campaign '\(campaign)'; the campaign files have errors:\n"
                    + broken.map(\.description).joined(separator: "\n"))
        }
        let ids = catalog.campaigns.map(\.id)
        return UserError(
            "no campaign '\(campaign)'; \(Suggestion.didYouMean(campaign, among: ids))campaigns: \(ids.joined(separator: ", "))"
        )
    }

    /// The lead from the store (with its history, to explain conditions), or a sample.
    private func resolveLead(_ project: Project) async throws -> (Lead, LeadTimeline?) {
        if let lead {
            let address = try UserError.parseEmail(lead)
            let store = try await project.openStore()
            guard var timeline = try await store.timeline(email: address) else {
                throw UserError("no lead with email \(address)")
            }
            if let id = timeline.lead.id { timeline.lead.stages = try await store.stages(ofLeads: [id])[id] ?? [] }
            return (timeline.lead, timeline)
        }
        return (try SampleLead.build(attributes), nil)
    }
}
