import Foundation
import NurtureCore

extension Settings {
    static let confirmKeys = ["confirm", "pending_days", "from", "confirm_subject"]

    /// `subscribe.confirm`, `pending_days`, `from` and `confirm_subject`: double opt-in.
    static func readConfirmation(
        _ subscribe: MappingReader, into settings: inout Settings, _ diagnostics: inout DiagnosticBag
    ) {
        if let days = number(
            "pending_days", subscribe, &diagnostics, in: 1...365, whole: true,
            hint: "a whole number of days from 1 to 365, like 7")
        {
            settings.pendingDays = Int(days)
        }
        guard subscribe.optionalFlag("confirm", into: &diagnostics) == true else { return }
        settings.subscribeConfirmLocation = subscribe["confirm"]?.location
        guard
            let from = subscribe.requiredText(
                "from", in: "'subscribe' with confirm: true",
                hint: "the sender of the confirmation, like from: \"Acme <hello@acme.example>\"", into: &diagnostics)
        else {
            return
        }
        let mailbox: Mailbox
        do { mailbox = try Mailbox(parsing: from.text) } catch {
            diagnostics.error(
                at: from.node.location, "'from' is not a valid sender: \(error)",
                hint: "like \"Acme <hello@acme.example>\"")
            return
        }
        var confirmation = SubscriptionConfirmation(from: mailbox, pendingDays: settings.pendingDays)
        if let subject = subscribe.optionalText("confirm_subject", into: &diagnostics) {
            confirmation.subject = subject.text
        }
        settings.subscribeConfirmation = confirmation
    }
}

extension Project {
    /// Double opt-in without a template to send: `validate` reports it, `serve` refuses.
    func missingConfirmationTemplate(in catalog: CampaignCatalog) -> Diagnostic? {
        guard settings.subscribeConfirmation != nil,
            catalog.templates.parts(of: SubscriptionConfirmation.template).isEmpty
        else { return nil }
        return .error(
            at: settings.subscribeConfirmLocation ?? SourceLocation(file: "nurture.yml", line: 1, column: 1),
            "subscribe.confirm is on, but there is no confirmation template to send",
            hint: "add templates/confirm.txt.mustache (and/or .html) with {{confirm_url}}")
    }
}
