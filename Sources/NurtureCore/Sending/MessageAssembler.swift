import Foundation

/// Render, rewrite links for tracking, compose: the one path from a step and a lead to
/// the bytes on the wire. The send loop and both previews (`nurture preview`, `/preview`)
/// go through it, so what a preview shows is what is sent.
public struct MessageAssembler: Sendable {
    public var templates: TemplateSet
    /// Wraps links for open and click tracking; nil sends links as written.
    public var linkRewriter: LinkRewriter?
    public var composer: MessageComposer

    public init(templates: TemplateSet, linkRewriter: LinkRewriter?, composer: MessageComposer) {
        self.templates = templates
        self.linkRewriter = linkRewriter
        self.composer = composer
    }

    /// The step rendered for the lead (links rewritten) and the message made of it.
    /// `messageRow` names the message in tracking tokens (0 in a preview: its links are
    /// signed but count for no message).
    public func assemble(
        campaign: Campaign, step: Step, lead: Lead, messageID: String, messageRow: Int64, unsubscribeURL: String,
        date: Date,
        collectWarnings: Bool
    ) -> (rendered: RenderedStep, message: OutgoingMessage) {
        var rendered = MessageRenderer(templates: templates).render(
            campaign: campaign, step: step, lead: lead, unsubscribeURL: unsubscribeURL, collectWarnings: collectWarnings
        )
        if let linkRewriter { rendered = linkRewriter.rewrite(rendered, messageRow: messageRow) }
        let message = composer.compose(
            rendered: rendered, campaign: campaign, step: step, lead: lead, messageID: messageID,
            unsubscribeURL: unsubscribeURL, date: date)
        return (rendered, message)
    }
}
