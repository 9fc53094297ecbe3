import Foundation

/// Bounces written for people only (qmail, old Exim and Sendmail, Yahoo, Exchange, and
/// many more): the failed addresses are the ones named in the explanation, before the
/// returned copy of the message, and the severity comes from the words around them.
enum TextBounce {
    /// Lines after which a bounce quotes the original message: addresses there are the
    /// original's, not failed recipients.
    static let copyMarkers = [
        "below this line is a copy of the message", "this is a copy of the message", "original message follows",
        "original message headers", "----- original message", "--- the header of the original message",
        "unsent message below", "------ the original message",
        "message header follows", "---- start of returned message", "--- returned message", "-----transcript",
        "headers of your message", "content-type: message/rfc822", "----- transcript of session follows -----",
    ]

    static func failedRecipients(_ mail: InboundMail, ownAddresses: Set<String>) -> [InboundReading.FailedRecipient] {
        var named: [String] = []
        let text = explanation(mail)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if let header = mail.field("x-failed-recipients") {
            // Exim names them in a field: nothing to guess.
            named = InboundClassifier.addresses(in: header)
        } else {
            for line in lines where !quotesTheOriginal(line) { named += InboundClassifier.addresses(in: line) }
        }
        var seen = Set<String>()
        // Message ids look like addresses ("<123.abc@host>"), and quoting the original's
        // id is common.
        let ids = Set(
            lines.filter { $0.lowercased().contains("message-id") || $0.lowercased().contains("in article") }
                .flatMap { InboundClassifier.messageIDs(in: $0) }.map { $0.lowercased() })
        let skipped = ownAddresses.union(copyAddresses(mail)).union(ids)
        let recipients = named.filter {
            !skipped.contains($0) && !isSoftware($0) && seen.insert($0).inserted
        }
        return recipients.map { address in
            let words = context(of: address, in: lines)
            let status = statusCode(in: words)
            return .init(
                address: address, severity: .of(status: status, words: words), status: status,
                diagnostic: DeliveryStatus.oneLine(words))
        }
    }

    /// The readable text up to the returned copy.
    static func explanation(_ mail: InboundMail) -> String {
        // Searched in the text itself: an index into a lowercased copy need not fall on the
        // same character of the original (lowercasing can change a character's length).
        let text = mail.readableText
        let cut = copyMarkers.compactMap { text.range(of: $0, options: .caseInsensitive)?.lowerBound }.min()
        return cut.map { String(text[..<$0]) } ?? text
    }

    /// The addresses of the returned copy's own header (From, Sender, Reply-To...): the
    /// original's sender, not a failed recipient, unless it also sent to itself.
    static func copyAddresses(_ mail: InboundMail) -> Set<String> {
        var found = Set<String>()
        for copy in InboundClassifier.returnedCopies(of: mail) {
            var senders = Set<String>()
            var recipients = Set<String>()
            for field in copy.fields {
                let addresses = InboundClassifier.addresses(in: field.value)
                if ["from", "sender", "reply-to", "return-path", "errors-to"].contains(field.name) {
                    senders.formUnion(addresses)
                }
                if ["to", "cc"].contains(field.name) { recipients.formUnion(addresses) }
            }
            found.formUnion(senders.subtracting(recipients))
        }
        return found
    }

    /// A line of the original's header or text quoted in the explanation ("To: …",
    /// "> …", "In article <…>"): its addresses are the original's.
    static func quotesTheOriginal(_ line: String) -> Bool {
        var trimmed = line.lowercased().replacingOccurrences(of: "&nbsp;", with: " ")
        trimmed = trimmed.replacingOccurrences(of: "<br>", with: " ").trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix(">") || trimmed.hasPrefix("in article") { return true }
        return ["to:", "cc:", "from:", "subject:", "message-id:", "reply-to:", "date:", "sender:"].contains {
            trimmed.hasPrefix($0)
        }
    }

    static func isSoftware(_ address: String) -> Bool {
        let local = address.split(separator: "@").first.map { $0.lowercased() } ?? ""
        return ["mailer-daemon", "postmaster", "root", "noreply", "no-reply", "abuse", "mailman-owner"].contains(local)
            || local.hasSuffix("-bounces") || local.hasSuffix("-admin") || local.hasSuffix("-owner")
            || local.hasPrefix("owner-")
    }

    /// The line naming `address` and the few lines of words after it (rules and empty
    /// lines skipped): the server's words about it.
    static func context(of address: String, in lines: [String]) -> String {
        let worded = lines.filter { line in line.contains { $0.isLetter || $0.isNumber } }
        guard let index = worded.firstIndex(where: { $0.lowercased().contains(address) }) else {
            return worded.joined(separator: " ")
        }
        return worded[max(0, index - 1)..<min(worded.count, index + 6)].joined(separator: " ")
    }

    /// The first RFC 3463 code (`5.1.1`) in the words.
    static func statusCode(in words: String) -> String? {
        for word in words.split(whereSeparator: { " \t()[]<>:;,".contains($0) }) {
            if let code = DeliveryStatus.statusCode(String(word)), code != "2.0.0" { return code }
        }
        return nil
    }
}
