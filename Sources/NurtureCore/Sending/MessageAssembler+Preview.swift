import Foundation

extension MessageAssembler {
    /// A step as the send loop would build it for `lead`, for a preview (`nurture preview`,
    /// `/preview`): no enrolment and no message row yet, so the Message-ID uses enrolment 0,
    /// tracked links are signed for message 0 (they count for nothing), and the unsubscribe
    /// link is `BASE_URL/u/preview`.
    public func preview(campaign: Campaign, step: Step, lead: Lead, baseURL: String, date: Date) -> (
        rendered: RenderedStep, message: OutgoingMessage
    ) {
        assemble(
            campaign: campaign, step: step, lead: lead,
            messageID: MessageComposer.messageID(enrollmentID: 0, step: step.id, campaign: campaign),
            messageRow: 0, unsubscribeURL: "\(baseURL)/u/preview", date: date, collectWarnings: true)
    }
}
