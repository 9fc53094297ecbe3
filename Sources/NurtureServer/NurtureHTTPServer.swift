import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NurtureCore
import ServiceLifecycle

/// What `serve` needs to know, gathered by the command line from settings and environment.
public struct ServerSettings: Sendable {
    public var host: String
    public var port: Int
    public var links: TrackingLinks
    public var classifier: ActivityClassifier
    public var scoreRules: ScoreRules
    /// Lifecycle stages, checked as soon as a person opens, clicks or subscribes.
    public var stageRules = StageRules()
    /// Posts the webhook outbox (nil: no webhooks), as soon as an event may have filled it.
    public var webhooks: WebhookDispatcher?
    /// Double opt-in for `/subscribe`, and how its mail is sent (nil: no confirmation).
    public var confirmation: (settings: SubscriptionConfirmation, makeTransport: @Sendable () throws -> any Transport)?
    /// `NURTURE_ADMIN_PASSWORD`: opens the preview and report pages when bound beyond loopback.
    public var adminPassword: String?
    public var subscribeTags: [String]
    public var subscribeDefaultTags: [String]
    /// The form fields `/subscribe` keeps as attributes (or the time zone).
    public var subscribeFields = CaptureFields()
    /// Form posts per client address per minute, and confirmation mails per minute.
    public var subscribePerClientPerMinute = 10
    public var confirmationsPerMinute = 60
    public var unsubscribeMailbox: EmailAddress?
    /// Campaigns and templates, read again per page so that edits show without a restart.
    public var loadCatalog: @Sendable () -> CampaignCatalog
    public var now: @Sendable () -> Date = Date.init
    /// The complaint guard's window, for `/metrics`' complaint rates (nil: no guard).
    public var complaintWindow: TimeInterval? = 7 * 86_400
    /// nurture.yml's `timezone`: the report page's days, weeks and months.
    public var timeZone: TimeZone = .gmt
    /// Whether sent mail has its links rewritten (a base URL is set, tracking on): the
    /// preview then shows them rewritten too.
    public var tracksLinks = false
    /// Told the port once the server listens on it (the one asked for, or the one the
    /// kernel chose for port 0); never told when the address cannot be bound.
    public var onListening: (@Sendable (_ port: Int) -> Void)?

    public init(
        host: String, port: Int, links: TrackingLinks, classifier: ActivityClassifier, scoreRules: ScoreRules,
        adminPassword: String?,
        subscribeTags: [String], subscribeDefaultTags: [String], unsubscribeMailbox: EmailAddress?,
        loadCatalog: @escaping @Sendable () -> CampaignCatalog
    ) {
        self.host = host
        self.port = port
        self.links = links
        self.classifier = classifier
        self.scoreRules = scoreRules
        self.adminPassword = adminPassword
        self.subscribeTags = subscribeTags
        self.subscribeDefaultTags = subscribeDefaultTags
        self.unsubscribeMailbox = unsubscribeMailbox
        self.loadCatalog = loadCatalog
    }

    /// Bound beyond loopback without an admin password: the preview and report pages are closed.
    public var pagesAreClosed: Bool {
        if case .closed = AdminAuth(host: host, password: adminPassword).mode { return true }
        return false
    }
}

/// The HTTP side of Nurture: tracking, unsubscribe, lead capture, previews, reports,
/// `/metrics` and `/healthz`.
public enum NurtureHTTPServer {
    /// Tracking first, then the router's routes: tracking, unsubscribe, capture,
    /// confirmation, previews, report, metrics and health.
    static func routes(store: any Store, settings: ServerSettings) -> (
        responder: some HTTPResponder<NurtureRequestContext>, tracking: TrackingRoutes
    ) {
        let router = Router(context: NurtureRequestContext.self)
        // One line per request at debug level (LOG_LEVEL=debug or --log-level debug).
        router.add(middleware: LogRequestsMiddleware(.debug))
        router.get("/healthz") { _, _ in "ok\n" }
        router.get("/metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            let now = settings.now()
            var metrics = try await store.metrics(now: now)
            if let window = settings.complaintWindow {
                metrics.complaintRates = try await store.complaintCounts(since: now.addingTimeInterval(-window))
                    .mapValues(\.rate)
            }
            metrics.guardsTripped = Set(try await store.guardTrips().keys)
            let text = metrics.prometheusText
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        let auth = AdminAuth(host: settings.host, password: settings.adminPassword, now: settings.now)
        var keeper: (@Sendable () -> StageKeeper)?
        if !settings.stageRules.isEmpty {
            keeper = {
                StageKeeper(
                    store: store, rules: settings.stageRules, scoreRules: settings.scoreRules,
                    catalog: settings.loadCatalog())
            }
        }
        let followUps = FollowUps(
            keeper: keeper, webhooks: settings.webhooks, now: settings.now, logger: Logger(label: "nurture.follow-ups"))
        let tracking = TrackingRoutes(
            store: store, links: settings.links, classifier: settings.classifier, now: settings.now,
            followUps: followUps)
        UnsubscribeRoutes(store: store, signer: settings.links.signer, now: settings.now, followUps: followUps).add(
            to: router)
        let confirm = settings.confirmation.map { confirmation in
            let outbox = ConfirmationOutbox(
                store: store, confirmation: confirmation.settings, signer: settings.links.signer,
                baseURL: settings.links.baseURL,
                loadCatalog: settings.loadCatalog, makeTransport: confirmation.makeTransport, now: settings.now,
                mailsPerMinute: settings.confirmationsPerMinute, logger: Logger(label: "nurture.confirmations"))
            // What an earlier serve left unsent goes now.
            outbox.nudge()
            return ConfirmRoutes(
                store: store, confirmation: confirmation.settings, signer: settings.links.signer,
                baseURL: settings.links.baseURL,
                now: settings.now, followUps: followUps, outbox: outbox)
        }
        confirm?.add(to: router)
        SubscribeRoutes(
            store: store, allowedTags: settings.subscribeTags, defaultTags: settings.subscribeDefaultTags,
            fields: settings.subscribeFields, now: settings.now,
            followUps: followUps, confirm: confirm,
            perClient: WindowCounter(allowed: settings.subscribePerClientPerMinute, window: 60)
        )
        .add(to: router)
        PreviewPages(
            store: store, loadCatalog: settings.loadCatalog, auth: auth, baseURL: settings.links.baseURL,
            unsubscribeMailbox: settings.unsubscribeMailbox,
            linkRewriter: settings.tracksLinks ? LinkRewriter(links: settings.links) : nil,
            scoreRules: settings.scoreRules, now: settings.now
        )
        .add(to: router)
        ReportPage(
            store: store, loadCatalog: settings.loadCatalog, auth: auth, timeZone: settings.timeZone,
            scoreRules: settings.scoreRules,
            stageRules: settings.stageRules, now: settings.now
        ).add(to: router)
        return (TrackingFirstResponder(tracking: tracking, next: router.buildResponder()), tracking)
    }

    /// Serves until SIGTERM or SIGINT, then finishes the requests in flight. Idle
    /// connections are closed after 30 s, so slow clients cannot hold sockets forever.
    /// `storeServices` (the PostgreSQL pool) run first in the same group and stop after
    /// the server; `settings` is built inside the group, as it may read the store (the
    /// link-signing secret), which answers only once its pool runs.
    public static func run(
        store: any Store, storeServices: [any Service] = [], logger: Logger,
        settings: @escaping @Sendable () async throws -> ServerSettings
    ) async throws {
        let server = ServerService {
            let settings = try await settings()
            let (responder, tracking) = routes(store: store, settings: settings)
            let serverName = "nurture"
            let dates = HTTPDateCache()
            let batchers = TrackingBatchers(tracking: tracking)
            let http1 = HTTPServerBuilder { responder in
                TrackingFirstHTTP1Channel(
                    http1: HTTP1Channel(responder: responder, configuration: .init(idleTimeout: .seconds(30))),
                    makeFastPath: {
                        TrackingFastPath(tracking: tracking, batchers: batchers, dates: dates, serverName: serverName)
                    },
                    makeWirePath: { idleTimeout, handOver in
                        TrackingWirePath(
                            tracking: tracking, batchers: batchers, dates: dates, serverName: serverName,
                            idleTimeout: idleTimeout, handOver: handOver)
                    })
            }
            do {
                try await Application(
                    responder: responder,
                    server: http1,
                    configuration: .init(
                        address: .hostname(settings.host, port: settings.port), serverName: serverName),
                    onServerRunning: { channel in settings.onListening?(channel.localAddress?.port ?? settings.port) },
                    logger: logger
                ).run()
            } catch let error as IOError {
                throw ListenError(host: settings.host, port: settings.port, errno: error.errnoCode) ?? error
            }
        }
        let group = ServiceGroup(
            configuration: .init(
                services: storeServices + [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

/// The address `serve` was asked to listen on could not be bound.
public struct ListenError: Error, CustomStringConvertible {
    public let host: String
    public let port: Int
    public let reason: String

    /// Nil for an error that is not about the address.
    init?(host: String, port: Int, errno: CInt) {
        switch errno {
        case EADDRINUSE:
            reason = "the port is in use (another nurture serve, or another program); choose another with --port"
        case EACCES: reason = "permission denied (ports below 1024 need privileges); choose another with --port"
        case EADDRNOTAVAIL: reason = "this machine has no such address; --host takes one of its own, or 0.0.0.0 for all"
        default: return nil
        }
        self.host = host
        self.port = port
    }

    public var description: String { "cannot listen on \(host):\(port): \(reason)" }
}

/// The HTTP application as the group's service. Its own group (server, date cache) runs
/// nested in this one and shuts down gracefully with it.
private struct ServerService: Service {
    let body: @Sendable () async throws -> Void

    func run() async throws {
        try await body()
    }
}
