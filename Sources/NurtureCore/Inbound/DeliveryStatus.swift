import Foundation

/// The machine-readable part of an RFC 3464 delivery report (`message/delivery-status`):
/// a block of per-message fields, then a block per recipient, separated by empty lines.
enum DeliveryStatus {
    /// RFC 3464 reports, RFC 6533's for UTF-8 mail, and RFC 8098 disposition notifications
    /// (a mailbox that deleted the message unread, say for a full quota, sends one).
    static let reportTypes: Set = [
        "message/delivery-status", "message/global-delivery-status", "message/disposition-notification",
    ]

    /// The recipients whose Action is `failed` (or `delayed` past giving up: a 4.4.7 or
    /// an expiry), with the severity their Status and Diagnostic-Code give. `context` is
    /// the report's human-readable text, read when the fields say too little.
    static func failedRecipients(_ text: String, context: String) -> [InboundReading.FailedRecipient] {
        let blocks = MailText.unixLines(text).components(separatedBy: "\n\n")
        var failed: [InboundReading.FailedRecipient] = []
        for block in blocks {
            let fields = InboundMail.fields(Substring(block))
            func value(_ name: String) -> String? { fields.first { $0.name == name }?.value }
            guard let recipientField = value("final-recipient") ?? value("original-recipient") else { continue }
            let action = value("action")?.lowercased() ?? dispositionAction(value("disposition"))
            guard action.hasPrefix("failed") || action.hasPrefix("delayed") else { continue }
            let address = recipientField.split(separator: ";", maxSplits: 1).last.map(String.init) ?? recipientField
            guard let recipient = InboundClassifier.addresses(in: address).first else { continue }
            // A bare "5.0.0" says less than the code the remote server gave in its words.
            let given = value("status").flatMap(statusCode)
            let spoken = TextBounce.statusCode(in: value("diagnostic-code") ?? "")
            let status = given.map { $0.hasSuffix(".0.0") ? spoken ?? $0 : $0 } ?? spoken
            let diagnostic =
                value("diagnostic-code")?.split(separator: ";", maxSplits: 1).last.map(MailText.trimmed) ?? ""
            let words = diagnostic.isEmpty ? context : diagnostic
            let severity: BounceSeverity = action.hasPrefix("delayed") ? .soft : .of(status: status, words: words)
            failed.append(
                .init(address: recipient, severity: severity, status: status, diagnostic: oneLine(diagnostic)))
        }
        return failed
    }

    /// A disposition notification's verdict as a DSN action: deleted or failed unread is a
    /// failure; displayed, dispatched and the rest are not.
    static func dispositionAction(_ disposition: String?) -> String {
        guard let disposition = disposition?.lowercased() else { return "failed" }
        let outcome = disposition.split(separator: ";").last.map(MailText.trimmed) ?? ""
        return outcome.hasPrefix("deleted") || outcome.hasPrefix("failed") || outcome.hasPrefix("error")
            ? "failed" : "none"
    }

    /// `5.1.1` out of `5.1.1 (bad mailbox)` and the like.
    static func statusCode(_ text: String) -> String? {
        let first = text.split(whereSeparator: { $0 == " " || $0 == "(" }).first.map(String.init) ?? ""
        let numbers = first.split(separator: ".")
        guard numbers.count == 3, ["2", "4", "5"].contains(numbers[0]), numbers.allSatisfy({ Int($0) != nil }) else {
            return nil
        }
        return first
    }

    static func oneLine(_ text: String) -> String {
        String(text.split(whereSeparator: \.isNewline).joined(separator: " ").prefix(300))
    }
}
