import ArgumentParser
import Foundation
import NurtureCore

/// `nurture guard`: the complaint guard's trips (issue 37.5).
struct GuardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "guard",
        abstract: "See and reset the complaint guard.",
        discussion: """
            When a campaign's complaints over the guard's window pass guard.complaint_rate of what it
            sent (0.3% over 7 days by default, once it sent at least guard.minimum_sent), its mail is
            held until the guard is reset here, after you have looked.
            """,
        subcommands: [List.self, Reset.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The campaigns whose guard has tripped.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let store = try await Project(options: global).openStore()
            let trips = try await store.guardTrips().values.sorted { $0.campaignID < $1.campaignID }
            if trips.isEmpty { print("no complaint guard has tripped") }
            for trip in trips {
                print("\(trip.campaignID): tripped \(trip.at.iso8601Seconds): \(trip.reason)")
            }
        }
    }

    struct Reset: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Let a campaign send again, counting its complaints afresh from now.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The campaign id.") var campaign: String
        @Option(
            help: ArgumentHelp(
                "When complaints count afresh from (default: now; for replays with --now).", valueName: "time"))
        var at: TimeArgument?

        func run() async throws {
            let store = try await Project(options: global).openStore()
            guard
                try await retryingWhileBusy({
                    try await store.resetGuard(campaignID: campaign, now: at?.date ?? Date())
                })
            else {
                throw UserError(
                    "the complaint guard of '\(campaign)' has not tripped (nurture guard list shows those that have)")
            }
            print("reset the complaint guard of \(campaign): its held mail goes out from the next tick")
        }
    }
}
