import Foundation

/// Double opt-in (`subscribe.confirm: true`): the mail that asks a subscriber to confirm,
/// from the user's own template `templates/confirm.*.mustache` (with `{{confirm_url}}`,
/// `{{first_name}}`, `{{last_name}}`, `{{email}}`), and the signed link in it.
public struct SubscriptionConfirmation: Sendable {
    public var from: Mailbox
    /// Plain text: the subject has no variables.
    public var subject: String
    /// How long a confirmation link works, and a pending subscription is kept.
    public var pendingDays: Int
    /// Signs the confirmation mail like every other (nil: no DKIM keys).
    public var dkim: DKIMSigner?

    public static let template = "confirm"
    /// The signing purpose of confirmation tokens: they confirm nothing else.
    static let purpose = "s"

    public init(from: Mailbox, subject: String = "Please confirm your subscription", pendingDays: Int = 7) {
        self.from = from
        self.subject = subject
        self.pendingDays = pendingDays
    }

    public func token(for pending: PendingSubscription, signer: LinkSigner) -> String {
        signer.token(purpose: Self.purpose, payload: "\(pending.id).\(pending.requestedAt.epochSeconds)")
    }

    /// What a token names (pending id, requested at), when this installation signed it.
    public static func target(ofToken token: String, signer: LinkSigner) -> (id: Int64, requestedAt: Date)? {
        guard let payload = signer.payload(of: token, purpose: purpose) else { return nil }
        let parts = payload.split(separator: ".")
        guard parts.count == 2, let id = Int64(parts[0]), let seconds = Int64(parts[1]) else { return nil }
        return (id, Date(epochSeconds: seconds))
    }

    /// Whether a subscription asked for at `requestedAt` may still be confirmed at `now`.
    public func isLive(requestedAt: Date, now: Date) -> Bool {
        now.timeIntervalSince(requestedAt) <= TimeInterval(pendingDays) * 86_400
    }

    /// The confirmation mail: the same renderer and MIME as every step, with no
    /// List-Unsubscribe (it is not a bulk mail; not confirming is the way out).
    public func message(for pending: PendingSubscription, confirmURL: String, templates: TemplateSet, date: Date)
        -> OutgoingMessage
    {
        let step = Step(
            id: "confirm", timing: .wait(.zero), subject: subject, template: Self.template,
            location: SourceLocation(file: "nurture.yml", line: 1, column: 1))
        // The renderer reads the subject as written here (it has no compiled subject for
        // this step), so braces in it would be sent as they are: the subject is plain text.
        let campaign = Campaign(
            id: "subscribe", name: "Subscription", from: from, enroll: EnrollmentRule(), steps: [step],
            file: "nurture.yml")
        let input = pending.input
        let lead = Lead(
            email: input.email, firstName: input.firstName, lastName: input.lastName,
            attributes: ["confirm_url": confirmURL])
        let rendered = MessageRenderer(templates: templates).render(
            campaign: campaign, step: step, lead: lead, unsubscribeURL: "", collectWarnings: false)
        return MessageComposer(dkim: dkim).compose(
            rendered: rendered, campaign: campaign, step: step, lead: lead,
            messageID: "nurture.confirm.\(pending.id).\(pending.requestedAt.epochSeconds)@\(from.address.domain)",
            unsubscribeURL: "", date: date)
    }
}
