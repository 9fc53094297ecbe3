import Crypto
import Foundation

/// Applies what came back to the leads it concerns (issue 37.3): a hard bounce ends the
/// lead (`bounced`); soft bounces are counted and `softLimit` of them within `softWindow`
/// end it too; a complaint makes it `complained`; a person's reply records the event
/// `replied`, dated by the reply; an automatic reply records nothing. Each received
/// message is handled once, by its Message-ID.
///
/// Whom a message concerns: the lead of the message a VERP return path names, else of
/// a Message-ID of ours it refers to, else the addresses it names that we have mailed. A
/// report matched to one of our messages changes only that message's lead.
public struct InboundProcessor: Sendable {
    public var store: any Store
    /// Reads VERP return paths (nil: `smtp.envelope_from` is not set, no tokens to read).
    public var returnPath: ReturnPath?
    /// The campaigns, to read the Message-IDs of our mail (`nurture.CAMPAIGN.ENROLMENT.STEP@…`).
    public var campaignIDs: [String]
    /// The campaigns a reply converts in (`exit_on: [replied]`).
    public var replyGoalCampaigns: [String] = []
    public var softLimit = 3
    public var softWindow: TimeInterval = 15 * 86_400

    /// What became of one message, for the command's output.
    public struct Outcome: Sendable, Equatable {
        public var kind: InboundReading.Kind
        /// One line per change, or why there was none.
        public var changes: [String]
        /// Handled before: nothing was done again.
        public var repeated = false
    }

    public init(store: any Store, returnPath: ReturnPath?, campaignIDs: [String]) {
        self.store = store
        self.returnPath = returnPath
        self.campaignIDs = campaignIDs
    }

    public func handle(_ raw: String, now: Date) async throws -> Outcome {
        let reading = InboundClassifier.read(InboundMail(raw))
        let identity = reading.messageID ?? Self.contentID(raw)
        var outcome = Outcome(kind: reading.kind, changes: [])
        if try await store.inboundHandled(messageID: identity) {
            outcome.repeated = true
            return outcome
        }
        let origin = try await matchedOrigin(reading)
        let ours = origin?.email
        var softBounces: [InboundStatusChange] = []
        // Decided here, recorded with the message in one transaction.
        var statuses: [InboundStatusChange] = []
        switch reading.kind {
        case .bounce:
            for failed in try await concerned(reading.failed, matched: ours) {
                switch failed.severity {
                case .hard:
                    statuses.append(
                        InboundStatusChange(email: failed.lead, status: .bounced, reason: failed.words, about: origin))
                    outcome.changes.append("\(failed.lead.address): bounced (\(failed.words))")
                case .soft:
                    softBounces.append(
                        InboundStatusChange(email: failed.lead, status: .bounced, reason: failed.words, about: origin))
                }
            }
        case .complaint:
            if let lead = try await complainant(reading, matched: ours) {
                statuses.append(
                    InboundStatusChange(
                        email: lead, status: .complained, reason: "a complaint: \(reading.subject)", about: origin))
                outcome.changes.append("\(lead.address): complained")
            }
        case .autoReply:
            break
        case .other:
            if let lead = try await replier(reading, matched: ours) {
                let at = min(reading.date ?? now, now)
                // Credited to the message it answers, when it names one of ours.
                let about = origin.flatMap { $0.email == lead ? ["campaign": $0.campaignID, "step": $0.step] : nil }
                let converted = try await store.recordEvent(
                    LeadInput(email: lead), name: "replied", attributes: about ?? [:],
                    goalCampaigns: replyGoalCampaigns,
                    now: at)
                let conversion = converted.isEmpty ? "" : "; converted in \(converted.joined(separator: ", "))"
                outcome.changes.append("\(lead.address): replied\(conversion)")
            }
        }
        let since = now.addingTimeInterval(-softWindow)
        guard
            let counts = try await store.recordInbound(
                messageID: identity, kind: reading.kind.rawValue, statuses: statuses, softBounces: softBounces,
                since: since, now: now)
        else {
            // Another process handled it meanwhile: nothing of this was recorded.
            return Outcome(kind: reading.kind, changes: [], repeated: true)
        }
        for bounce in softBounces {
            let (lead, words) = (bounce.email, bounce.reason)
            let count = counts[lead] ?? 1
            if count >= softLimit {
                // The sum of several messages' bounces: credited to no one step.
                let reason = "\(count) soft bounces within \(Int(softWindow / 86_400)) days, the last: \(words)"
                try await store.applyInboundStatuses(
                    [InboundStatusChange(email: lead, status: .bounced, reason: reason)], now: now)
                outcome.changes.append("\(lead.address): bounced after \(count) soft bounces (\(words))")
            } else {
                outcome.changes.append("\(lead.address): soft bounce \(count) of \(softLimit) (\(words))")
            }
        }
        return outcome
    }

    /// A failed recipient that is one of our leads.
    struct Concerned {
        var lead: EmailAddress
        var severity: BounceSeverity
        var words: String
    }

    /// The failed recipients the report changes: only the matched message's lead when it
    /// names one of ours (under whatever address the report gives, say an alias it
    /// expanded), else every failed address of a lead we have mailed.
    func concerned(_ failed: [InboundReading.FailedRecipient], matched: EmailAddress?) async throws -> [Concerned] {
        func words(_ recipient: InboundReading.FailedRecipient) -> String {
            [recipient.status, recipient.diagnostic.isEmpty ? nil : recipient.diagnostic].compactMap { $0 }.joined(
                separator: " ")
        }
        if let matched {
            let own = failed.first { $0.address == matched.normalized } ?? (failed.count == 1 ? failed.first : nil)
            return own.map { [Concerned(lead: matched, severity: $0.severity, words: words($0))] } ?? []
        }
        var concerned: [Concerned] = []
        for recipient in failed {
            guard let address = try? EmailAddress(recipient.address), try await store.wasMailed(address) else {
                continue
            }
            concerned.append(Concerned(lead: address, severity: recipient.severity, words: words(recipient)))
        }
        return concerned
    }

    func complainant(_ reading: InboundReading, matched: EmailAddress?) async throws -> EmailAddress? {
        if let matched { return matched }
        guard let address = reading.complainant.flatMap({ try? EmailAddress($0) }) else { return nil }
        return try await store.wasMailed(address) ? address : nil
    }

    /// Who replied: the sender when we have mailed them (a reply to our mail, or a new
    /// message from a lead); nil for anyone else.
    func replier(_ reading: InboundReading, matched: EmailAddress?) async throws -> EmailAddress? {
        guard let sender = reading.from.flatMap({ try? EmailAddress($0) }) else { return nil }
        if sender.normalized == matched?.normalized { return sender }
        return try await store.wasMailed(sender) ? sender : nil
    }

    /// The message of ours this one is about: by VERP return path, else by a Message-ID of
    /// ours it refers to.
    func matchedOrigin(_ reading: InboundReading) async throws -> MessageOrigin? {
        if let returnPath {
            for address in reading.addressedTo {
                if let row = returnPath.messageRow(in: address), let origin = try await store.origin(ofMessageRow: row)
                {
                    return origin
                }
            }
        }
        for id in reading.referencedMessageIDs {
            if let (campaign, enrollment, step) = ours(id), let lead = try await store.lead(enrollmentID: enrollment) {
                return MessageOrigin(email: lead.email, campaignID: campaign, step: step)
            }
        }
        return nil
    }

    /// The campaign, enrolment and step a Message-ID of ours names
    /// (`MessageComposer.messageID`: `nurture.CAMPAIGN.ENROLMENT.STEP@domain`).
    func ours(_ id: String) -> (campaign: String, enrollment: Int64, step: String)? {
        let local = id.split(separator: "@").first.map(String.init) ?? ""
        for campaign in campaignIDs {
            let prefix = "nurture.\(campaign)."
            guard local.hasPrefix(prefix) else { continue }
            let rest = local.dropFirst(prefix.count)
            guard let dot = rest.firstIndex(of: "."), let enrollment = Int64(rest[..<dot]) else { continue }
            return (campaign, enrollment, String(rest[rest.index(after: dot)...]))
        }
        return nil
    }

    /// A stand-in Message-ID for a message without one: its content's SHA-256.
    static func contentID(_ raw: String) -> String {
        "sha256:" + SHA256.hash(data: Data(raw.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
