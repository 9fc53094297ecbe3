import ArgumentParser
import Foundation
import Logging
import NurtureCore
import NurtureServer
import ServiceLifecycle

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Answer the links in sent mail, capture leads, and show previews and reports.",
        discussion: """
            GET /o/TOKEN (open pixel), GET /c/TOKEN (click redirect), GET|POST /u/TOKEN
            (unsubscribe page; POST unsubscribes at once, RFC 8058), GET|POST /subscribe (capture
            form), /preview and /report (pages), /metrics (Prometheus), /healthz.
            Links are signed with NURTURE_SECRET (or a secret generated on first use and kept in
            the store); NURTURE_SECRET_PREVIOUS keeps the links of the previous secret working
            during a rotation. Bound beyond 127.0.0.1, /preview and /report need
            NURTURE_ADMIN_PASSWORD (HTTP Basic, any user name). Stops on SIGTERM/SIGINT.
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "The address to listen on.") var host = "127.0.0.1"
    @Option(help: "The port to listen on.") var port = 8080
    @Option(
        help:
            "trace, debug (one line per request), info, notice, warning, error or critical; default: LOG_LEVEL or info."
    )
    var logLevel: String?

    func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port must be from 1 to 65535") }
        if let logLevel, Logger.Level(rawValue: logLevel) == nil {
            throw ValidationError(
                "--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() async throws {
        let project = try Project(options: global)
        let (store, storeServices) = try await project.openStoreForServiceGroup(mayCreate: true)
        LoggingSystem.bootstrap { StandardErrorLogHandler(label: $0) }
        var logger = Logger(label: "nurture.serve")
        logger.logLevel = (logLevel ?? project.environment["LOG_LEVEL"]).flatMap(Logger.Level.init(rawValue:)) ?? .info
        Signals.unblockTermination()
        do {
            try await serve(project: project, store: store, storeServices: storeServices, logger: logger)
        } catch let error as ListenError {
            throw WorldError(error.description)
        }
        Terminal.writeError("stopped\n")
    }

    private func serve(project: Project, store: any Store, storeServices: [any Service], logger: Logger) async throws {
        try await NurtureHTTPServer.run(store: store, storeServices: storeServices, logger: logger) { [host, port] in
            let signer = try await project.linkSigner(store: store)
            var settings = ServerSettings(
                host: host, port: port, links: project.trackingLinks(signer: signer), classifier: project.classifier,
                scoreRules: project.settings.scoreRules, adminPassword: project.environment["NURTURE_ADMIN_PASSWORD"],
                subscribeTags: project.settings.subscribeTags,
                subscribeDefaultTags: project.settings.subscribeDefaultTags,
                unsubscribeMailbox: project.settings.unsubscribeMailbox, loadCatalog: { project.loadCatalog() })
            settings.tracksLinks = project.tracksLinks
            settings.subscribeFields = project.settings.subscribeFields
            settings.subscribePerClientPerMinute = project.settings.subscribePerClientPerMinute
            settings.confirmationsPerMinute = project.settings.confirmationsPerMinute
            settings.stageRules = project.settings.stageRules
            settings.complaintWindow = project.settings.complaintGuard?.window
            settings.timeZone = TimeZone(identifier: project.settings.defaultTimeZone) ?? .gmt
            settings.webhooks = try await project.webhookDispatcher(store: store)
            if var confirmation = project.settings.subscribeConfirmation {
                if let missing = project.missingConfirmationTemplate(in: project.loadCatalog()) {
                    throw UserError(missing.description)
                }
                confirmation.dkim = try project.dkimSigner()
                settings.confirmation = (confirmation, { try project.openTransport() })
            }
            // Said once the port is bound: a port in use is an error, not "serving on".
            settings.onListening = { [baseURL = project.baseURL] bound in
                Terminal.writeError("serving on http://\(host):\(bound) (links point at \(baseURL))\n")
            }
            if settings.pagesAreClosed {
                Terminal.warning(
                    "listening beyond 127.0.0.1 without NURTURE_ADMIN_PASSWORD: /preview and /report are closed; set it to open them with a password"
                )
            }
            return settings
        }
    }
}
