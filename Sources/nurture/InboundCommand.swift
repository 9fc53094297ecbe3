import ArgumentParser
import Foundation
import NurtureCore

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
    @Argument(help: "Message files; standard input when none.") var files: [String] = []
    @Flag(help: "Only say what each message is; change nothing.") var classify = false
    @Option(help: "text, or tsv (file, kind, address, hard/soft, status: one line per recipient).")
    var format = "text"

    func validate() throws {
        guard ["text", "tsv"].contains(format) else { throw ValidationError("--format is text or tsv") }
    }

    func run() async throws {
        let inputs: [(name: String, text: String?)] =
            files.isEmpty
            ? [("<stdin>", String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self))]
            : files.map { ($0, FileManager.default.contents(atPath: $0).map { String(decoding: $0, as: UTF8.self) }) }
        for (name, text) in inputs {
            guard let text else {
                Terminal.writeError("\(name): cannot read the file; skipped\n")
                continue
            }
            let reading = InboundClassifier.read(InboundMail(text))
            print(describe(reading, name: name))
        }
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
