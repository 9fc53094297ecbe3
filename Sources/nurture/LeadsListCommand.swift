import ArgumentParser
import Foundation
import NurtureCore

/// `nurture leads list`: who is in the store, to look at or hand to sales.
struct LeadsListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List leads (email, name, status, score, tags, created), filtered.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "Only leads with this tag.") var tag: String?
    @Option(help: "Only leads with this status: active, unsubscribed, bounced or complained.") var status: String?
    @Option(help: "Only leads enrolled in this campaign.") var campaign: String?
    @Option(name: .customLong("min-score"), help: "Only leads with at least this score.") var minScore: Int?
    @Option(help: "table (for people), json or csv (for tools).") var format: Format = .table

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json, csv
    }

    func validate() throws {
        if let status, LeadStatus(rawValue: status) == nil {
            throw ValidationError("--status is active, unsubscribed, bounced or complained, not '\(status)'")
        }
    }

    func run() async throws {
        let store = try await Project(options: global).openStore()
        let filter = LeadFilter(tag: tag, status: status.flatMap(LeadStatus.init(rawValue:)), campaign: campaign, minScore: minScore)
        let columns = ["email", "first_name", "last_name", "status", "score", "tags", "created_at"]
        switch format {
        case .csv: print(columns.joined(separator: ","))
        case .json: print("[", terminator: "")
        case .table: print("email  name  status  score  tags  created")
        }
        // Pages of 1,000 by id: any number of leads in bounded memory.
        var after: Int64 = 0
        var first = true
        var count = 0
        while true {
            let page = try await store.leads(matching: filter, after: after, limit: 1000)
            guard let last = page.last else { break }
            after = last.id ?? after
            for lead in page {
                let name = [lead.firstName, lead.lastName].compactMap { $0 }.joined(separator: " ")
                let created = lead.createdAt.map(LeadDescription.timestamp) ?? ""
                let tags = lead.tags.sorted()
                switch format {
                case .csv:
                    let cells = [lead.email.address, lead.firstName ?? "", lead.lastName ?? "", lead.status.rawValue, String(lead.score),
                                 tags.joined(separator: ";"), created]
                    print(cells.map(CSVCell.escape).joined(separator: ","))
                case .json:
                    let data = try JSONSerialization.data(withJSONObject: LeadDescription.jsonFields(lead), options: [.sortedKeys, .withoutEscapingSlashes])
                    print((first ? "\n  " : ",\n  ") + String(decoding: data, as: UTF8.self), terminator: "")
                case .table:
                    print(Terminal.escapingControls("\(lead.email)  \(name.isEmpty ? "-" : name)  \(lead.status.rawValue)  \(lead.score)  \(tags.isEmpty ? "-" : tags.joined(separator: ","))  \(created)"))
                }
                first = false
                count += 1
            }
        }
        switch format {
        case .json: print(first ? "]" : "\n]")
        case .table: Terminal.writeError("\(count) lead\(count == 1 ? "" : "s")\n")
        case .csv: break
        }
    }
}
