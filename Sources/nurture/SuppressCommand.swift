import ArgumentParser
import Foundation
import NurtureCore

/// `nurture suppress`: the addresses and domains no campaign may mail (issue 37.4).
struct SuppressCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suppress",
        abstract: "Keep addresses and whole domains from ever being mailed.",
        discussion: """
            A suppressed address (or every address of a suppressed @domain) is mailed by no campaign
            and no sender, whatever the lead's status: its drips end as suppressed when their next
            step comes due, and a message already on its way is withheld at hand-over.
            """,
        subcommands: [Add.self, Remove.self, List.self, Import.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Suppress addresses or @domains.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Addresses (ann@example.com) or domains (@example.com).") var entries: [String]
        @Option(help: "Why, kept with each entry.") var reason = "added by hand"

        func run() async throws {
            let patterns = try entries.map { entry in
                guard let pattern = Suppression.pattern(entry) else {
                    throw UserError("'\(entry)' is neither an address (ann@example.com) nor a domain (@example.com)")
                }
                return pattern
            }
            let store = try await Project(options: global).openStore(mayCreate: true)
            let added = try await store.suppress(patterns, reason: reason, now: Date())
            print("suppressed \(added) new of \(patterns.count)")
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Take an address or @domain off the list (ended drips stay ended).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "An address or @domain.") var entry: String

        func run() async throws {
            guard let pattern = Suppression.pattern(entry) else {
                throw UserError("'\(entry)' is neither an address nor a @domain")
            }
            let store = try await Project(options: global).openStore()
            guard try await store.unsuppress(pattern) else {
                throw UserError("\(pattern) is not on the suppression list")
            }
            print("removed \(pattern) from the suppression list")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the suppressed addresses and domains.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let store = try await Project(options: global).openStore()
            let rows = try await store.suppressions().map {
                [$0.pattern, TimeText.utc($0.createdAt), Terminal.escapingControls($0.reason)]
            }
            for line in TextOutput.table([["entry", "since", "reason"]] + rows) { print(line) }
        }
    }

    /// An ESP's export: any CSV with a column of addresses (Amazon SES, SendGrid,
    /// Postmark, Mailgun and most others name it email, email_address, address or
    /// recipient); a row without a valid address is reported and skipped.
    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Suppress every address of a CSV file (an ESP's suppression export).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The CSV file.") var file: String
        @Option(help: "Why, kept with each entry.") var reason: String?

        static let addressColumns = ["email", "email_address", "emailaddress", "address", "recipient", "e_mail"]

        func run() async throws {
            guard let data = FileManager.default.contents(atPath: file) else { throw UserError("cannot read \(file)") }
            var parser = CSVParser()
            var records: [CSVRecord] = []
            parser.feed(data) { records.append($0) }
            parser.finish { records.append($0) }
            guard let header = records.first else { throw UserError("\(file) is empty") }
            let names = header.fields.map(LeadCSVMapping.normalize)
            guard let column = names.firstIndex(where: Self.addressColumns.contains) else {
                throw UserError(
                    "\(file) has no column of addresses (one named email, email_address, address or recipient); its columns: \(header.fields.joined(separator: ", "))"
                )
            }
            var patterns: [String] = []
            var rejected = 0
            for record in records.dropFirst() {
                guard record.problem == nil, column < record.fields.count,
                    let pattern = Suppression.pattern(record.fields[column])
                else {
                    if record.fields.contains(where: { !$0.isEmpty }) {
                        rejected += 1
                        Terminal.writeError(
                            "\(file):\(record.line): no valid address in column '\(header.fields[column])'; skipped\n")
                    }
                    continue
                }
                patterns.append(pattern)
            }
            let store = try await Project(options: global).openStore(mayCreate: true)
            let added = try await store.suppress(
                patterns, reason: reason ?? "imported from \(URL(fileURLWithPath: file).lastPathComponent)", now: Date()
            )
            print(
                "suppressed \(added) new of \(patterns.count) addresses in \(file)\(rejected > 0 ? "; \(rejected) rows skipped" : "")"
            )
        }
    }
}
