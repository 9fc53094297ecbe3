import ArgumentParser
import Foundation
import NurtureCore

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "What is due now, what is next, what waits for a retry, and what is in doubt.")

    @OptionGroup var global: GlobalOptions
    @Option(help: ArgumentHelp("The clock to report against.", valueName: "time")) var now: TimeArgument?

    func run() async throws {
        let store = try await Project(options: global).openStore()
        let status = try await store.sendStatus(now: now?.date ?? Date())
        if let stop = status.lastStop {
            print(Terminal.escapingControls("last tick stopped at \(TimeText.utc(stop.at)): \(stop.reason)"))
            print("  the leads due below wait for a tick that can deliver (nothing is lost)")
        }
        for trip in try await store.guardTrips().values.sorted(by: { $0.campaignID < $1.campaignID }) {
            print(
                Terminal.escapingControls(
                    "\(trip.campaignID): mail held since \(TimeText.utc(trip.at)): \(trip.reason)"))
        }
        print("active enrolments: \(status.activeEnrollments)")
        print("due now: \(status.dueNow)")
        for item in status.dueNowList {
            print("  \(TimeText.utc(item.at))  \(item.campaignID)/\(item.step ?? "next step")  \(item.email)")
        }
        if status.dueNow > status.dueNowList.count { print("  … and \(status.dueNow - status.dueNowList.count) more") }
        print("next due:\(status.nextDue.isEmpty ? " -" : "")")
        for item in status.nextDue {
            print("  \(TimeText.utc(item.at))  \(item.campaignID)/\(item.step ?? "?")  \(item.email)")
        }
        print("waiting for retry: \(status.deferred.isEmpty ? "-" : "\(status.deferred.count)")")
        for item in status.deferred {
            print(
                "  \(TimeText.utc(item.at))  \(item.campaignID)/\(item.step ?? "?")  \(item.email)\(item.reason.map { "  (\($0))" } ?? "")"
            )
        }
        print("held: \(status.heldCount == 0 ? "-" : "\(status.heldCount)")")
        for item in status.held {
            print("  \(item.campaignID)/\(item.step ?? "?")  \(item.email)\(item.reason.map { "  (\($0))" } ?? "")")
        }
        if status.heldCount > status.held.count { print("  … and \(status.heldCount - status.held.count) more") }
        if status.heldCount > 0 {
            print(
                "  held messages go once the lead has the variable (an import, leads add --attr) or the campaign gives a default"
            )
        }
        if status.inFlight > 0 { print("being sent right now: \(status.inFlight)") }
        print("unknown outcomes: \(status.unknown.isEmpty ? "-" : "\(status.unknown.count)")")
        for item in status.unknown {
            print(
                "  \(item.campaignID)/\(item.step)  \(item.email)  <\(item.messageID)>  since \(TimeText.utc(item.since))\(item.error.map { "  (\($0))" } ?? "")"
            )
        }
        if !status.unknown.isEmpty {
            print("  these may or may not have been delivered; after checking the mail server's log, run")
            print(
                "  `nurture retry-unknown` to send them again or `nurture retry-unknown --mark-sent` to count them as sent"
            )
        }
        let webhooks = try await store.webhookBacklog()
        if webhooks.pending > 0 {
            print(
                "webhooks waiting: \(webhooks.pending) (\(webhooks.failing) failing, retried with growing waits of up to an hour)"
            )
            if let last = webhooks.lastFailure {
                print(Terminal.escapingControls("  last failure: \(last.url): \(last.error)"))
            }
        }
    }
}

struct RetryUnknownCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry-unknown",
        abstract:
            "Decide the messages whose outcome is unknown: send them again at the next tick, or count them as sent.")

    @OptionGroup var global: GlobalOptions
    @Flag(name: .customLong("mark-sent"), help: "Count them as sent instead of sending them again.") var markSent =
        false

    func run() async throws {
        let store = try await Project(options: global).openStore()
        let count = try await store.resolveUnknown(markSent: markSent, now: Date())
        print(
            markSent ? "marked \(count) message(s) as sent" : "\(count) message(s) will be sent again at the next tick")
    }
}
