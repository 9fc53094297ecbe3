import Foundation
import Hummingbird
import NurtureCore

/// `/preview`: every campaign and step, and any step rendered for any lead (found by
/// email) with its subject, headers, text and HTML; a step with A/B variants renders the
/// one named by `?variant=` (the first by default) and links the others. The HTML part is shown in a
/// sandboxed iframe, served with a policy of its own: no scripts, no forms, no plugins.
struct PreviewPages: Sendable {
    let store: any Store
    let loadCatalog: @Sendable () -> CampaignCatalog
    let auth: AdminAuth
    let baseURL: String
    let unsubscribeMailbox: EmailAddress?
    /// As the send loop rewrites links (nil when it does not).
    let linkRewriter: LinkRewriter?
    let scoreRules: ScoreRules
    /// The server's clock: the preview's Date header and the condition's moment.
    let now: @Sendable () -> Date

    /// The policy of the framed email: images may load (as in a mail client), nothing runs.
    static let framedPolicy =
        "sandbox; default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'; font-src https: data:; frame-ancestors 'self'"
    /// The page around it may frame its own origin, nothing else.
    static let pagePolicy =
        "default-src 'none'; style-src 'unsafe-inline'; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    /// Tabs without scripts: a radio button per tab, the checked one shows its panel.
    static let style =
        Page.wideStyle + """
            .tabs input{position:absolute;opacity:0}.tabs label{display:inline-block;padding:.4rem 1rem;border:1px solid #cbd2d9;border-bottom:0;cursor:pointer}
            .tabs input:checked+label{background:#1f2933;color:#fff}.tab{display:none;border:1px solid #cbd2d9;padding:1rem}
            #t-html:checked~.p-html,#t-text:checked~.p-text,#t-headers:checked~.p-headers{display:block}
            iframe{width:100%;height:36rem;border:0;background:#fff}
            """

    func add(to router: Router<NurtureRequestContext>) {
        router.get("/preview") { request, context in
            if let refusal = auth.refusal(for: request, context: context) { return refusal }
            return Page.html(
                Page.document(title: "Preview", body: index(loadCatalog()), style: Self.style), policy: Self.pagePolicy)
        }
        router.get("/preview/:campaign/:step") { request, context in
            if let refusal = auth.refusal(for: request, context: context) { return refusal }
            guard let found = try await render(request, context) else { return Page.notFound }
            return Page.html(
                Page.document(
                    title: "Preview: \(found.campaign.id)/\(found.step.id)", body: stepPage(found), style: Self.style),
                policy: Self.pagePolicy)
        }
        router.get("/preview/:campaign/:step/html") { request, context in
            if let refusal = auth.refusal(for: request, context: context) { return refusal }
            guard let found = try await render(request, context), let html = found.rendered.html else {
                return Page.notFound
            }
            var response = Page.html(html, policy: Self.framedPolicy)
            response.headers[.init("X-Frame-Options")!] = "SAMEORIGIN"
            return response
        }
    }

    struct Rendered {
        var campaign: Campaign
        var step: Step
        var lead: Lead
        var email: String
        /// Set when the email asked for is not a lead.
        var notFound: Bool
        var rendered: RenderedStep
        var headers: String
        /// Whether the step's condition holds for the lead, and why; nil without one.
        var condition: (holds: Bool, text: String)?
    }

    private func render(_ request: Request, _ context: NurtureRequestContext) async throws -> Rendered? {
        let catalog = loadCatalog()
        guard let campaign = catalog.campaign(try context.parameters.require("campaign")),
            let written = campaign.step(try context.parameters.require("step"))
        else { return nil }
        let variant = request.uri.queryParameters.get("variant")
        if let variant, !written.variants.contains(where: { $0.id == variant }) { return nil }
        let step = written.rendering(variant: variant)
        let email = (request.uri.queryParameters.get("email") ?? "").trimmingCharacters(in: .whitespaces)
        var lead = Lead(email: try! EmailAddress("preview@example.com"), firstName: "Preview")
        var notFound = false
        var timeline: LeadTimeline?
        if !email.isEmpty {
            if let address = try? EmailAddress(email), let stored = try await store.timeline(email: address) {
                lead = stored.lead
                if let id = lead.id { lead.stages = try await store.stages(ofLeads: [id])[id] ?? [] }
                timeline = stored
            } else {
                notFound = true
            }
        }
        // The send loop's own path: rendering, link rewriting, MIME.
        let (rendered, message) = MessageAssembler(
            templates: catalog.templates, linkRewriter: linkRewriter,
            composer: MessageComposer(unsubscribeMailbox: unsubscribeMailbox)
        ).preview(campaign: campaign, step: step, lead: lead, baseURL: baseURL, date: now())
        let headers =
            message.data.components(separatedBy: "\r\n\r\n").first?.replacingOccurrences(of: "\r\n", with: "\n") ?? ""
        return Rendered(
            campaign: campaign, step: step, lead: lead, email: email, notFound: notFound, rendered: rendered,
            headers: headers,
            condition: step.explainCondition(
                for: lead, timeline: timeline, in: campaign, scoreRules: scoreRules, at: now()))
    }

    private func index(_ catalog: CampaignCatalog) -> String {
        var body = "<h1>Preview</h1>"
        if catalog.campaigns.isEmpty { body += "<p>No valid campaigns. Run <code>nurture validate</code>.</p>" }
        for campaign in catalog.campaigns {
            body +=
                "<h2>\(Page.escape(campaign.name)) <span class=\"note\">(\(Page.escape(campaign.id)))</span></h2><ol>"
            for step in campaign.steps {
                let link = "/preview/\(Self.pathPart(campaign.id))/\(Self.pathPart(step.id))"
                guard !step.variants.isEmpty else {
                    body += "<li><a href=\"\(link)\">\(Page.escape(step.id))</a>: \(Page.escape(step.subject))</li>"
                    continue
                }
                body += "<li>\(Page.escape(step.id)), A/B variants:<ul>"
                for variant in step.variants {
                    body +=
                        "<li><a href=\"\(link)?variant=\(Self.queryPart(variant.id))\">\(Page.escape(variant.id))</a>: \(Page.escape(variant.subject))</li>"
                }
                body += "</ul></li>"
            }
            body += "</ol>"
        }
        return body + "<p><a href=\"/report\">Report</a></p>"
    }

    private func stepPage(_ found: Rendered) -> String {
        let leadName = [found.lead.firstName, found.lead.lastName].compactMap { $0 }.joined(separator: " ")
        let base = "/preview/\(Self.pathPart(found.campaign.id))/\(Self.pathPart(found.step.id))"
        func query(variant: String?) -> String {
            let parts =
                (found.email.isEmpty ? [] : ["email=" + Self.queryPart(found.email)])
                + (variant.map { ["variant=" + Self.queryPart($0)] } ?? [])
            return parts.isEmpty ? "" : "?" + parts.joined(separator: "&amp;")
        }
        let variantField =
            found.step.variantID.map { "<input type=\"hidden\" name=\"variant\" value=\"\(Page.escape($0))\">" } ?? ""
        var body = """
            <p><a href="/preview">All campaigns</a></p>
            <h1>\(Page.escape(found.campaign.name)): \(Page.escape(found.step.id))\(found.step.variantID.map { ", variant " + Page.escape($0) } ?? "")</h1>
            <form method="get" action="\(base)"><label>Lead email <input type="search" name="email" value="\(Page.escape(found.email))"></label>\(variantField) <button type="submit">Render</button></form>
            """
        if !found.step.variants.isEmpty {
            body +=
                "<p class=\"variants\">A/B variants: "
                + found.step.variants.map { variant in
                    variant.id == found.step.variantID
                        ? "<strong>\(Page.escape(variant.id))</strong>"
                        : "<a href=\"\(base)\(query(variant: variant.id))\">\(Page.escape(variant.id))</a>"
                }.joined(separator: " · ") + "</p>"
        }
        if found.notFound {
            body += "<p class=\"note\">No lead with email \(Page.escape(found.email)); showing a sample lead.</p>"
        }
        body +=
            "<p>For <strong class=\"lead\">\(Page.escape(leadName.isEmpty ? found.lead.email.address : leadName))</strong> &lt;\(Page.escape(found.lead.email.address))&gt;</p>"
        body += "<p>Subject: <strong class=\"subject\">\(Page.escape(found.rendered.subject))</strong></p>"
        for warning in found.rendered.warnings { body += "<p class=\"note\">Warning: \(Page.escape(warning))</p>" }
        if let condition = found.condition {
            body += "<p class=\"condition\">Condition: \(Page.escape(condition.text))</p>"
        }
        let hasHTML = found.rendered.html != nil
        body += "<div class=\"tabs\">"
        body +=
            "<input type=\"radio\" name=\"tab\" id=\"t-html\"\(hasHTML ? " checked" : "")><label for=\"t-html\">HTML</label>"
        body +=
            "<input type=\"radio\" name=\"tab\" id=\"t-text\"\(hasHTML ? "" : " checked")><label for=\"t-text\">Text</label>"
        body += "<input type=\"radio\" name=\"tab\" id=\"t-headers\"><label for=\"t-headers\">Headers</label>"
        body +=
            hasHTML
            ? "<div class=\"tab p-html\"><iframe sandbox title=\"HTML part\" src=\"\(base)/html\(query(variant: found.step.variantID))\"></iframe></div>"
            : "<div class=\"tab p-html\"><p class=\"note\">This step has no HTML part.</p></div>"
        body +=
            "<div class=\"tab p-text\"><pre>\(Page.escape(found.rendered.text ?? "This step has no text part."))</pre></div>"
        body += "<div class=\"tab p-headers\"><pre>\(Page.escape(found.headers))</pre></div></div>"
        body += "<p class=\"note\">Links are shown as written; sent mail carries tracked links.</p>"
        return body
    }

    static func pathPart(_ text: String) -> String {
        text.addingPercentEncoding(
            withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#"))) ?? ""
    }

    static func queryPart(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~@")))
            ?? ""
    }
}
