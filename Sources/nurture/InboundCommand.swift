import ArgumentParser
import Foundation
import NurtureCore
import NurtureDelivery

/// `nurture inbound`: reads what came back after sending (issue 37.3).
struct InboundCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inbound",
        abstract: "Read bounces, complaints and replies, and apply them to the leads.",
        discussion: """
            Each FILE (or standard input without one: a Postfix pipe or procmail target) is one
            RFC 5322 message. It is a bounce (a delivery report: hard when the address does not
            exist, soft otherwise), a complaint (ARF), an automatic reply, or other mail (a person's
            reply when it answers our mail or comes from a lead). --classify only says which, and
            opens no store.
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Message files, or folders of them (a maildir's new/); standard input when none.")
    var files: [String] = []
    @Flag(help: "Only say what each message is; change nothing.") var classify = false
    @Flag(help: "Read the messages not handled yet from mailbox.url (IMAP), and flag or delete each once handled.")
    var mailbox = false
    @Option(help: "text, or tsv (file, kind, address, hard/soft, status: one line per recipient).")
    var format = "text"

    func validate() throws {
        guard ["text", "tsv"].contains(format) else { throw ValidationError("--format is text or tsv") }
        if mailbox && (!files.isEmpty || classify) {
            throw ValidationError("--mailbox reads the mailbox: give no files, and no --classify")
        }
    }

    func run() async throws {
        if mailbox { return try await readMailbox() }
        // Each file is read when its turn comes: a folder of any size in bounded memory.
        let inputs: [(name: String, read: () -> String?)] =
            files.isEmpty
            ? [("<stdin>", { String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) })]
            : Self.expanded(files).map { path in
                (path, { FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) } })
            }
        let processor: InboundProcessor?
        do {
            processor = classify ? nil : try await makeProcessor(try Project(options: global))
        } catch  where files.isEmpty {
            throw Self.temporaryFailure(error)
        }
        for (name, read) in inputs {
            guard let text = read() else {
                // Kept where it is, never fatal: the next run can read it again.
                Terminal.writeError("\(name): cannot read the file; skipped\n")
                continue
            }
            guard let processor else {
                print(describe(InboundClassifier.read(InboundMail(text)), name: name))
                continue
            }
            do {
                let outcome = try await retryingWhileBusy { try await processor.handle(text, now: Date()) }
                print(describe(outcome, name: name))
            } catch  where files.isEmpty {
                throw Self.temporaryFailure(error)
            }
        }
    }

    /// For a message from a mail server's pipe: EX_TEMPFAIL, so the server keeps it and
    /// hands it over again later (any other failure would bounce a bounce, which is dropped).
    static func temporaryFailure(_ error: any Error) -> ExitCode {
        Terminal.error("\(error); the mail server may hand the message over again (exit 75)")
        return ExitCode(75)
    }

    /// The files named, a folder standing for the files in it (a maildir's `new/`), in
    /// name order, hidden ones left out.
    static func expanded(_ paths: [String]) -> [String] {
        paths.flatMap { path -> [String] in
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue,
                let names = try? FileManager.default.contentsOfDirectory(atPath: path)
            else { return [path] }
            return names.filter { !$0.hasPrefix(".") }.sorted().map { (path as NSString).appendingPathComponent($0) }
        }
    }

    /// Each message not handled yet, in the order it came: handled, then flagged (or
    /// deleted). A message is flagged only once its changes are recorded: when the store
    /// fails, the rest stay for the next run, and the one that failed is read again.
    private func readMailbox() async throws {
        let project = try Project(options: global)
        guard let url = project.environment["NURTURE_MAILBOX_URL"] ?? project.settings.mailboxURL else {
            throw UserError(
                "no mailbox: set mailbox.url in nurture.yml (imaps://USER@HOST/INBOX) or NURTURE_MAILBOX_URL")
        }
        let box: any InboundMailbox
        do {
            box = try openMailbox(
                url: url, password: project.environment["NURTURE_MAILBOX_PASSWORD"],
                caFile: project.environment["NURTURE_MAILBOX_CA_FILE"], timeout: .seconds(60))
        } catch let failure as MailboxFailure {
            throw UserError(failure.description)
        }
        let processor = try await makeProcessor(project)
        do {
            let pending = try box.pending()
            for uid in pending {
                let text = try box.message(uid)
                let outcome = try await retryingWhileBusy { try await processor.handle(text, now: Date()) }
                try box.markHandled(uid, delete: project.settings.mailboxDeletes)
                print(describe(outcome, name: "\(box.idName) \(uid)"))
            }
            try box.finish()
            if pending.isEmpty { print("no new mail") }
        } catch let failure as MailboxFailure {
            throw WorldError(failure.description)
        }
    }

    private func makeProcessor(_ project: Project) async throws -> InboundProcessor {
        let catalog = project.loadCatalog()
        let store = try await project.openStore()
        var returnPath: ReturnPath?
        if let sender = project.settings.smtp.envelopeFrom {
            returnPath = ReturnPath(base: try EmailAddress(sender), signer: try await project.linkSigner(store: store))
        }
        var processor = InboundProcessor(store: store, returnPath: returnPath, campaignIDs: catalog.campaigns.map(\.id))
        processor.replyGoalCampaigns = catalog.campaigns.filter { $0.exitOn.contains("replied") }.map(\.id)
        processor.softLimit = project.settings.softBounceLimit
        let window = project.settings.softBounceWindow
        processor.softWindow = TimeInterval(window.days * 86_400 + window.minutes * 60)
        return processor
    }

    private func describe(_ outcome: InboundProcessor.Outcome, name: String) -> String {
        let kind = outcome.kind == .other ? "mail" : outcome.kind.rawValue
        if outcome.repeated { return "\(name): \(kind), handled before; nothing done" }
        if outcome.changes.isEmpty {
            return outcome.kind == .autoReply
                ? "\(name): \(kind); nothing recorded" : "\(name): \(kind) about nobody we mailed"
        }
        return "\(name): \(kind): " + outcome.changes.joined(separator: "; ")
    }

    private func describe(_ reading: InboundReading, name: String) -> String {
        switch format {
        case "tsv":
            switch reading.kind {
            case .bounce:
                return reading.failed.map {
                    "\(name)\tbounce\t\($0.address)\t\($0.severity.rawValue)\t\($0.status ?? "")\t\($0.diagnostic)"
                }
                .joined(separator: "\n")
            case .complaint: return "\(name)\tcomplaint\t\(reading.complainant ?? "")\tcomplaint\t"
            case .autoReply: return "\(name)\tauto-reply\t\(reading.from ?? "")\t-\t"
            case .other: return "\(name)\tother\t\(reading.from ?? "")\t-\t"
            }
        default:
            switch reading.kind {
            case .bounce:
                let recipients = reading.failed.map {
                    "\($0.address) (\($0.severity.rawValue)\($0.status.map { ", \($0)" } ?? ""))"
                }
                return "\(name): bounce for \(recipients.joined(separator: ", "))"
            case .complaint: return "\(name): complaint about mail to \(reading.complainant ?? "an unnamed recipient")"
            case .autoReply: return "\(name): automatic reply from \(reading.from ?? "an unnamed sender")"
            case .other: return "\(name): other mail from \(reading.from ?? "an unnamed sender")"
            }
        }
    }
}
