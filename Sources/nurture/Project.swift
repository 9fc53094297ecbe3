import Foundation
import NurtureCore
import NurtureDelivery
import NurturePostgres
import NurtureStore
import ServiceLifecycle

/// The user's folder, as the global options, the environment and `nurture.yml` describe
/// it: where campaigns, templates and the store are. All commands start here.
struct Project {
    let root: URL
    let settings: Settings
    let environment: [String: String]
    let databaseOption: String?

    init(options: GlobalOptions, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let configURL = URL(fileURLWithPath: options.config)
        root = configURL.deletingLastPathComponent()
        settings = try Settings.load(path: configURL.path, displayName: options.config)
        self.environment = environment
        databaseOption = options.db
    }

    var campaignsDirectory: URL { resolve(settings.campaignsDirectory) }
    var templatesDirectory: URL { resolve(settings.templatesDirectory) }

    /// `NURTURE_BASE_URL` wins over `base_url` in nurture.yml; without either, links point
    /// at a local `nurture serve` on its default port.
    var baseURL: String {
        let url = environment["NURTURE_BASE_URL"] ?? settings.baseURL ?? "http://127.0.0.1:8080"
        return url.hasSuffix("/") ? String(url.dropLast()) : url
    }

    /// Links are tracked only when the user said where `serve` is reachable: a default
    /// base URL on 127.0.0.1 would send readers to a dead link.
    var tracksLinks: Bool {
        settings.trackingEnabled
            && ((environment["NURTURE_BASE_URL"].map { !$0.isEmpty } ?? false) || settings.baseURL != nil)
    }

    func trackingLinks(signer: LinkSigner) -> TrackingLinks { TrackingLinks(baseURL: baseURL, signer: signer) }

    var classifier: ActivityClassifier { ActivityClassifier(machineWindow: settings.machineWindowSeconds) }

    func resolve(_ path: String) -> URL {
        path.hasPrefix("/") ? URL(fileURLWithPath: path) : root.appendingPathComponent(path)
    }

    /// `--db`, then `NURTURE_DB`, then `db:` in nurture.yml, then `nurture.sqlite`.
    var databaseLocation: String {
        databaseOption ?? environment["NURTURE_DB"] ?? settings.database ?? "nurture.sqlite"
    }

    /// The store. Only commands that write (`run`, `leads import`, `leads add`, `event`,
    /// `serve`) create a SQLite file when it does not exist; for the others a missing file
    /// is a mistyped path, and creating an empty store would hide that. A `postgres://`
    /// location opens the PostgreSQL store (its database must exist; the schema is
    /// created on first use).
    func openStore(mayCreate: Bool = false) async throws -> any Store {
        try await openStore(mayCreate: mayCreate, pool: .store).store
    }

    /// The store for a long-running command (`run --every`, `serve`), with the services
    /// to run first in its `ServiceGroup`: the PostgreSQL connection pool, which then
    /// stops after the command's own service has finished what it was doing. Until the
    /// group runs, the store's queries wait.
    func openStoreForServiceGroup(mayCreate: Bool) async throws -> (store: any Store, services: [any Service]) {
        try await openStore(mayCreate: mayCreate, pool: .serviceGroup)
    }

    /// The store, with the services a `ServiceGroup` must run for it when its pool is the
    /// group's (none for SQLite).
    private func openStore(mayCreate: Bool, pool: PostgresStore.PoolOwner) async throws -> (
        store: any Store, services: [any Service]
    ) {
        let location = databaseLocation
        if PostgresLocation.isPostgresURL(location) {
            // A password may come only from the environment: NURTURE_DB or PGPASSWORD.
            let fromEnvironment = databaseOption == nil && environment["NURTURE_DB"] != nil
            let parsed: PostgresLocation
            do {
                parsed = try PostgresLocation(
                    url: location, passwordAllowed: fromEnvironment, environmentPassword: environment["PGPASSWORD"])
            } catch let error as StoreError {
                throw UserError(error.message)
            }
            do {
                let store = try await PostgresStore(location: parsed, lease: try senderLease, pool: pool)
                return (store, pool == .serviceGroup ? [store.pool] : [])
            } catch let error as StoreError where error.kind == .failed {
                // What the server refused (a password, a database): fixed by the user.
                throw UserError(error.message)
            }
        }
        let path = resolve(location).path
        if !mayCreate && !FileManager.default.fileExists(atPath: path) {
            throw UserError(
                "there is no store at \(path); check --db, NURTURE_DB or db in nurture.yml (a store is created by leads import, leads add, event, run or serve)"
            )
        }
        return (try SQLiteStore(path: path, busyTimeout: try busyTimeout), [])
    }

    /// How long a SQLite store waits for a lock another process holds before it answers
    /// busy (`NURTURE_BUSY_TIMEOUT`, like 10s or 1s; default 10s). Writes that must not be
    /// lost are retried after that (`retryingWhileBusy`); a tick under `run --every` backs
    /// off and tries again.
    var busyTimeout: Duration {
        get throws {
            guard let text = environment["NURTURE_BUSY_TIMEOUT"], !text.isEmpty else { return .seconds(10) }
            guard let seconds = RunCommand.seconds(text), seconds <= 3600 else {
                throw UserError("NURTURE_BUSY_TIMEOUT must be an interval from 1s to 1h, like 10s or 1m, not '\(text)'")
            }
            return .seconds(seconds)
        }
    }

    /// How long a PostgreSQL sender's claims and picked enrolments stay its own without a
    /// heartbeat (`NURTURE_LEASE`, like 30s or 2m; default 30s): after that, another
    /// sender takes them over (in-doubt messages become `unknown`, never resent).
    var senderLease: Duration {
        get throws {
            guard let text = environment["NURTURE_LEASE"], !text.isEmpty else { return .seconds(30) }
            guard let seconds = RunCommand.seconds(text), seconds >= 3 else {
                throw UserError("NURTURE_LEASE must be an interval of at least 3s, like 30s or 2m, not '\(text)'")
            }
            return .seconds(seconds)
        }
    }

    /// The catalog, or a user error listing its problems: nothing is sent from campaign
    /// files that do not validate.
    func loadValidCatalog() throws -> CampaignCatalog {
        let catalog = loadCatalog()
        guard !catalog.diagnostics.hasErrors else {
            throw UserError(
                catalog.diagnostics.errors.map(\.description).joined(separator: "\n")
                    + "\nthe campaign files have errors; fix them (nurture validate) before sending")
        }
        return catalog
    }

    var defaultZone: TimeZone { TimeZone(identifier: settings.defaultTimeZone) ?? TimeZone(identifier: "UTC")! }

    var planner: DripPlanner { DripPlanner(defaultZone: defaultZone) }

    var outboxDirectory: URL { root.appendingPathComponent("outbox") }

    /// SMTP settings from `NURTURE_SMTP_*` and `smtp:` in nurture.yml (the environment
    /// wins); nil when no URL is configured.
    var smtpSettings: SMTPSettings? {
        get throws {
            guard let url = environment["NURTURE_SMTP_URL"].flatMap({ $0.isEmpty ? nil : $0 }) ?? settings.smtp.url
            else { return nil }
            guard url.hasPrefix("smtp://") || url.hasPrefix("smtps://") else {
                throw UserError(
                    "the SMTP URL must start with smtp:// or smtps:// (like smtp://user:pass@mail.example.com:587)")
            }
            let mode = environment["NURTURE_SMTP_STARTTLS"] ?? settings.smtp.startTLS
            var smtp = SMTPSettings(
                url: url,
                startTLS: try mode.map { mode in
                    guard let parsed = SMTPSettings.StartTLS(rawValue: mode) else {
                        throw UserError("NURTURE_SMTP_STARTTLS must be required, optional or off, not '\(mode)'")
                    }
                    return parsed
                })
            smtp.username = environment["NURTURE_SMTP_USER"] ?? settings.smtp.username
            smtp.password = environment["NURTURE_SMTP_PASSWORD"]
            smtp.caFile = (environment["NURTURE_SMTP_CA_FILE"] ?? settings.smtp.caFile).map { resolve($0).path }
            smtp.envelopeSender = settings.smtp.envelopeFrom
            if let seconds = settings.smtp.timeoutSeconds { smtp.timeout = .seconds(seconds) }
            if let connections = environment["NURTURE_SMTP_MAX_CONNECTIONS"].flatMap(Int.init)
                ?? settings.smtp.maxConnections
            {
                smtp.maxConnections = min(64, max(1, connections))
            }
            smtp.ratePerSecond = settings.smtp.ratePerSecond
            smtp.verbose = environment["NURTURE_SMTP_DEBUG"] == "1"
            return smtp
        }
    }

    /// The transport `run` delivers through: SMTP when a URL is configured, else the outbox.
    /// `journaled`: the send loop's, which journals the sends it starts beside a SQLite
    /// store (`SendJournal`); on PostgreSQL another machine may settle a dead sender's
    /// messages and could not read its journal.
    func openTransport(journaled: Bool = false) throws -> any Transport {
        if var smtp = try smtpSettings {
            if journaled, !PostgresLocation.isPostgresURL(databaseLocation) {
                smtp.journalDirectory = resolve(databaseLocation).path + ".sends"
            }
            return SMTPTransport(settings: smtp)
        }
        let outbox = OutboxTransport(directory: outboxDirectory)
        // A seam for the crash test: slows each delivery so a kill lands mid-tick.
        if let delay = environment["NURTURE_TEST_DELIVERY_DELAY_MS"].flatMap(Int.init), delay > 0 {
            return SlowTransport(wrapped: outbox, delay: .milliseconds(delay))
        }
        return outbox
    }

    /// Signs links with `NURTURE_SECRET` (and accepts `NURTURE_SECRET_PREVIOUS` during a
    /// rotation); without it, with a secret generated on first use and kept in the store.
    func linkSigner(store: any Store) async throws -> LinkSigner {
        let secret: String
        let previous = environment["NURTURE_SECRET_PREVIOUS"].flatMap { $0.isEmpty ? nil : $0 }
        if let fromEnvironment = environment["NURTURE_SECRET"], !fromEnvironment.isEmpty {
            secret = fromEnvironment
            // The store keeps the secret its links were signed with (the environment's, the
            // first time one is set). A different one would make every link already sent a
            // 404 without a word.
            let stored = try await store.linkSecret { fromEnvironment }
            if stored != fromEnvironment, stored == previous {
                // A rotation: the store now records the new secret, so once the previous
                // one is dropped from the environment no warning remains.
                try await store.replaceLinkSecret(with: fromEnvironment)
            } else if stored != fromEnvironment {
                Terminal.warning(
                    """
                    NURTURE_SECRET differs from the secret this store signed its links with: links already \
                    sent will answer 404. To rotate, set NURTURE_SECRET_PREVIOUS to the old secret for as long \
                    as old mail may be read (see the README, "Rotating the link secret").
                    """)
            }
        } else {
            secret = try await store.linkSecret {
                var generator = SystemRandomNumberGenerator()
                return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }
                    .joined()
            }
        }
        return LinkSigner(secret: secret, previousSecret: previous)
    }

    /// Unsubscribe links point at `nurture serve`, with a signed token.
    func unsubscribeURL(signer: LinkSigner) -> @Sendable (Int64, String) -> String {
        let links = trackingLinks(signer: signer)
        return { enrollment, step in links.unsubscribeURL(enrollmentID: enrollment, step: step) }
    }

    func loadCatalog() -> CampaignCatalog {
        CampaignCatalog.load(
            campaignsDirectory: campaignsDirectory, templatesDirectory: templatesDirectory, displayRoot: root)
    }
}
