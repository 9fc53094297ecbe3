import Foundation

/// Whether a failed delivery says the address is gone for good (hard: the mailbox or its
/// domain does not exist, or has moved) or something that may pass (soft: a full or
/// disabled mailbox, a filter, a policy, a timeout, a server error).
///
/// Only the address's own absence is hard, as with sisimai (the reference parser the
/// corpus test compares with): a 5xx for a full mailbox, a spam filter or a policy says
/// nothing about whether the person exists, and ending a lead for it would lose people
/// to one bad day of their server. Soft bounces are counted instead, and enough of them
/// within a window end the lead (`bounces.soft_limit`). RFC 3463 status codes decide
/// first (5.1.1 bad mailbox, 5.1.2 bad domain, 5.1.6 moved, 5.1.10 null MX); the words
/// of the diagnostic decide when the code says nothing more than "5.0.0".
public enum BounceSeverity: String, Sendable, Hashable {
    case hard
    case soft

    /// What `status` (an RFC 3463 code, if any) and the server's words say.
    ///
    /// Words alone make a bounce hard only when they say the address was refused at
    /// `RCPT TO` (or name a domain that does not exist): a "no such user" after the
    /// message was sent is as often a filter's answer as the truth, and sisimai calls it
    /// `filtered` (soft) for that reason.
    public static func of(status: String?, words: String) -> BounceSeverity {
        let words = words.lowercased()
        if let status, status.hasPrefix("4.") { return .soft }
        if softWords.contains(where: { words.contains($0) }) { return .soft }
        if let status, ["5.1.1", "5.1.2", "5.1.6", "5.1.10"].contains(status) { return .hard }
        if domainWords.contains(where: { words.contains($0) }) { return .hard }
        if refusedMailboxWords.contains(where: { words.contains($0) }) { return .hard }
        let atRecipient = recipientStageWords.contains { words.contains($0) }
        return atRecipient && mailboxWords.contains(where: { words.contains($0) }) ? .hard : .soft
    }

    /// Words that name a domain that does not exist.
    static let domainWords = [
        "host unknown", "unknown host", "domain not found", "no such domain", "host or domain name not found",
        "unrouteable mail domain", "name or service not known", "domain does not exist", "bad destination host",
    ]

    /// Answers that can only mean the mailbox is not there, whenever they come.
    static let refusedMailboxWords = [
        "the recipient name is not recognized", "invalid final delivery userid", "no mailbox here by that name",
        "unknown local part", "unrouteable address", "mailbox does not exist", "addressee unknown",
        "not listed in domino directory", "not listed in public name & address book",
    ]

    /// Signs the refusal came at `RCPT TO`.
    static let recipientStageWords = [
        "rcpt", "does not like recipient", "recipient address rejected", "after end of recipient",
    ]

    /// Words that say a mailbox is not there.
    static let mailboxWords = [
        "user unknown", "unknown user", "no such user", "no such mailbox", "no such recipient", "no such address",
        "unknown recipient", "recipient unknown", "recipient not found", "user not found", "mailbox not found",
        "address unknown", "unknown address", "invalid recipient", "invalid mailbox", "invalid address",
        "does not exist", "doesn't exist", "not a valid mailbox", "no mailbox here", "unknown local part",
        "unknown or illegal user", "unrouteable address", "user doesn't have", "not listed in", "no such local user",
        "mailbox unavailable", "mailbox is unavailable", "recipient address rejected: user",
        "host unknown", "unknown host", "domain not found", "no such domain", "host or domain name not found",
        "unrouteable mail domain", "name or service not known", "domain does not exist", "bad destination mailbox",
        "account does not exist", "address rejected", "no account by that name", "not our customer",
        "user account is unavailable", "has moved", "account has been closed",
    ].map { $0.lowercased() }

    /// Words that say the mailbox exists but would not take the message now.
    static let softWords = [
        "mailbox full", "mailbox is full", "quota", "over quota", "exceeded storage", "insufficient storage",
        "too many messages", "disabled", "suspended", "inactive", "deactivated", "discontinued",
        "spam", "blocked", "blacklist", "policy", "rejected for policy", "message content", "too large", "size limit",
        "timed out", "timeout", "try again", "temporarily", "greylist", "relaying denied", "relay access denied",
        "not permitted to relay", "too many",
        "expired", "delivery time expired", "could not be delivered for", "retry time",
    ].map { $0.lowercased() }
}
