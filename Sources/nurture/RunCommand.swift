import ArgumentParser
import Foundation
import Logging
import NurtureCore
import NurtureDelivery

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the send loop: once (for cron) or every so often.",
        discussion: """
            One tick enrols matching leads, picks the enrolments whose next step is due, checks
            conditions and goals, renders, delivers and records. Only one tick runs at a time per
            store: a tick that finds another one running says so and exits 0.
            Without NURTURE_SMTP_URL, messages are written to outbox/ as .eml files.
            """)

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Run one tick and exit.") var once = false
    @Option(
        help: ArgumentHelp("Run a tick every interval until SIGTERM or SIGINT (like 60s, 5m).", valueName: "interval"))
    var every: String?
    @Option(help: ArgumentHelp("The clock for this tick (with --once).", valueName: "time")) var now: TimeArgument?
    @Flag(name: .customLong("dry-run"), help: "Print what would be sent to whom; change nothing.") var dryRun = false
    @Option(help: "Send at most this many messages in this tick.") var limit: Int?
    @Flag(
        name: .customLong("allow-removed"),
        help:
            "Accept a step that looks like an unmarked rename as a new step (it is sent to leads who got the old one).")
    var allowRemoved = false
    @Option(
        help:
            "trace, debug (a line per message), info (each tick's start and end, with its counts), notice, warning, error or critical; default: LOG_LEVEL or warning."
    )
    var logLevel: String?

    func validate() throws {
        if let logLevel, Logger.Level(rawValue: logLevel) == nil {
            throw ValidationError(
                "--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if once && every != nil {
            throw ValidationError(
                "--once and --every go alone, not both: --once runs one tick (for cron), --every INTERVAL keeps ticking"
            )
        }
        guard once != (every != nil) else {
            throw ValidationError("say --once (one tick, for cron) or --every INTERVAL")
        }
        if now != nil && !once { throw ValidationError("--now goes with --once") }
        if let every, Self.seconds(every) == nil {
            throw ValidationError("--every takes an interval like 30s, 5m or 1h, not '\(every)'")
        }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    static func seconds(_ text: String) -> Int? {
        guard let unit = text.last, let number = Int(text.dropLast()), number > 0 else { return nil }
        switch unit {
        case "s": return number
        case "m": return number * 60
        case "h": return number * 3600
        default: return nil
        }
    }

    func run() async throws {
        let project = try Project(options: global)
        let catalog = try project.loadValidCatalog()
        // On standard error, beside the tick's summary on standard output; quiet by
        // default, as cron mails whatever a job prints.
        LoggingSystem.bootstrap { StandardErrorLogHandler(label: $0) }
        var logger = Logger(label: "nurture.run")
        logger.logLevel =
            (logLevel ?? project.environment["LOG_LEVEL"]).flatMap(Logger.Level.init(rawValue:)) ?? .warning
        if let every {
            let (store, services) = try await project.openStoreForServiceGroup(mayCreate: true)
            try await TickRunner(project: project, catalog: catalog, store: store, logger: logger).runEvery(
                seconds: Self.seconds(every)!, limit: limit, beside: services,
                firstCheck: { try await checkRenames(catalog, store) })
        } else {
            let store = try await project.openStore(mayCreate: true)
            try await checkRenames(catalog, store)
            let runner = TickRunner(project: project, catalog: catalog, store: store, logger: logger)
            try await runner.runOnce(now: now?.date ?? Date(), limit: limit, dryRun: dryRun)
        }
    }

    /// Nothing is sent while a step that has sent mail is gone from its campaign file
    /// (renamed, or deleted by mistake), unless `--allow-removed` says it is meant.
    func checkRenames(_ catalog: CampaignCatalog, _ store: any Store) async throws {
        guard !allowRemoved else { return }
        let problems = try await RenameCheck.all(catalog.campaigns, store: store)
        guard problems.isEmpty else {
            throw UserError(
                problems.map(\.description).joined(separator: "\n")
                    + "\nnothing was sent; fix the campaign files, or run with --allow-removed")
        }
    }
}
