import ArgumentParser
import Foundation
import NurtureCore

struct LeadsImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import leads from a CSV file (upsert by email).",
        discussion: """
            The header row names the columns: email, first_name, last_name, timezone and tags
            (';'- or space-separated) are the lead's own fields; other columns become custom
            attributes. Rejected rows are reported by their line in the file and skipped.
            """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The CSV file.") var file: String
    @Option(name: .customLong("tag"), help: "A tag for every imported lead (repeatable).") var tags: [String] = []

    func validate() throws {
        for tag in tags where !CampaignParser.isIdentifier(tag) {
            throw ValidationError("tag '\(tag)' may only hold letters, digits, '_', '-' and '.'")
        }
    }

    func run() async throws {
        let project = try Project(options: global)
        guard let handle = FileHandle(forReadingAtPath: file) else { throw UserError("cannot open \(file)") }
        defer { try? handle.close() }
        let store = try await project.openStore(mayCreate: true)
        try await store.prepareForImport()
        let importer = LeadImporter(extraTags: tags)
        let summary: LeadImporter.Summary
        do {
            summary = try await importer.run(
                nextChunk: {
                    let data = try handle.read(upToCount: 1 << 18) ?? Data()
                    return data.isEmpty ? nil : [UInt8](data)
                },
                store: store, now: Date(),
                onRejection: { Terminal.writeError("\(file):\($0.line): rejected: \($0.reason)\n") })
        } catch let problem as LeadCSVMapping.HeaderProblem {
            throw UserError("\(file):1: \(problem.description)")
        }
        let imported = summary.inserted + summary.updated
        var line =
            "imported \(imported) of \(summary.rows) rows from \(file): \(summary.inserted) new, \(summary.updated) updated"
        if summary.rejected > 0 { line += "; \(summary.rejected) rejected (see above)" }
        print(line)
    }
}
