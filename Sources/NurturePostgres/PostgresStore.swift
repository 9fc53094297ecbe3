import Foundation
import Logging
import NurtureCore
import PostgresNIO
import ServiceLifecycle

/// The scale-out store: the same contract as the SQLite one, on a PostgreSQL server that
/// several senders (`run`) and servers (`serve`) share. Every query binds its values;
/// the only SQL text spliced in is ours (column lists, fixed comparisons).
public final class PostgresStore: Store {
    let client: PostgresClient
    let logger: Logger
    /// Names this process's claims (messages.sender_id) and its heartbeat row.
    let senderID: String
    /// How long a silent sender's claims and picked enrolments stay its own.
    let lease: Duration
    /// Admissions asked for at once share a statement and a commit.
    let admissions = AdmissionBatcher()
    /// "PostgreSQL at host:port", for errors.
    let server: String
    /// Fails an operation whose connection closes under it.
    private let lossWatch: ConnectionLossWatch
    /// For a dry run: every read and write goes to this connection, inside a transaction
    /// its owner rolls back (see `withDiscardedChanges`).
    private let pinned: PostgresConnection?

    /// Who runs the connection pool (`PostgresClient.run()`; queries wait until it runs).
    public enum PoolOwner: Sendable {
        /// The store, in a task of its own for the life of the process: for a command
        /// that asks a few questions and exits.
        case store
        /// The caller, who runs `pool` as a service of its `ServiceGroup` (before the
        /// services that use the store, so it stops after them at shutdown).
        case serviceGroup
    }

    /// Connects to `location` and brings the schema up to date.
    public init(
        location: PostgresLocation, lease: Duration = .seconds(30), pool owner: PoolOwner = .store,
        logger: Logger = Logger(label: "nurture.postgres")
    ) async throws {
        var quiet = logger
        quiet.logLevel = .critical
        let client = PostgresClient(configuration: location.clientConfiguration, backgroundLogger: quiet)
        self.client = client
        self.logger = quiet
        self.lease = lease
        server = "PostgreSQL at \(location.host):\(location.port)"
        lossWatch = ConnectionLossWatch()
        self.senderID = "\(ProcessInfo.processInfo.hostName):\(getpid()):\(UUID().uuidString.prefix(8))"
        pinned = nil
        do {
            // One direct connection first: a server that is down or refuses us fails here
            // at once, with its own words (the pool would retry for a minute).
            let connection = try await PostgresConnection.connect(
                configuration: location.connectionConfiguration(), id: 1, logger: quiet)
            do {
                try await Self.migrate(connection, logger: quiet)
                try await connection.close()
            } catch {
                try? await connection.close()
                throw error
            }
        } catch {
            throw Self.openingError(error, location: location)
        }
        if owner == .store { Task { await client.run() } }
    }

    /// The connection pool, a `Service`: run it in the group when the store was opened
    /// with `PoolOwner.serviceGroup`, and never otherwise (it runs once).
    public var pool: any Service { client }

    /// A view of `store` whose reads and writes all go to `connection`.
    private init(viewOf store: PostgresStore, pinnedTo connection: PostgresConnection) {
        client = store.client
        logger = store.logger
        lease = store.lease
        server = store.server
        lossWatch = store.lossWatch
        senderID = "dry-run:" + store.senderID
        pinned = connection
    }

    /// Runs `body` with a view of this store in which every read and write happens in one
    /// transaction, rolled back afterwards: a dry run sees its own writes and no one else
    /// ever does. Meanwhile the rows it wrote stay locked: real senders skip those
    /// enrolments until it ends, and an unsubscribe of one of its leads waits for its end.
    public func withDiscardedChanges<Result: Sendable>(_ body: (any Store) async throws -> Result) async throws
        -> Result
    {
        try await client.withConnection { connection in
            try await connection.query("BEGIN", logger: logger)
            do {
                let result = try await body(PostgresStore(viewOf: self, pinnedTo: connection))
                try await connection.query("ROLLBACK", logger: logger)
                return result
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    static func migrate(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.withTransaction(logger: logger) { connection in
            // Two processes opening a new database at once: one migrates, the other waits
            // here and then finds the schema current.
            try await connection.query("SELECT pg_advisory_xact_lock(7480218437266127)", logger: logger)
            try await connection.query(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())
                """, logger: logger)
            var current = 0
            for try await version in try await connection.query(
                "SELECT coalesce(max(version), 0) FROM schema_migrations", logger: logger
            )
            .decode(Int.self) {
                current = version
            }
            guard current <= PostgresMigrations.latestVersion else {
                throw StoreError(
                    .tooNew,
                    "the store has schema version \(current), newer than this nurture knows (\(PostgresMigrations.latestVersion)); upgrade nurture"
                )
            }
            for migration in PostgresMigrations.all where migration.version > current {
                for statement in migration.sql {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))",
                    logger: logger)
            }
        }
    }

    @discardableResult
    /// Runs `body` on one pooled connection, outside a transaction (each statement is its own).
    func read<Result: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> Result) async throws
        -> Result
    {
        do {
            if let pinned { return try await watched(pinned, body) }
            return try await client.withConnection { try await self.watched($0, body) }
        } catch {
            throw Self.storeError(error, doing: "read the store", server: server)
        }
    }

    @discardableResult
    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    func write<Result: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> Result) async throws
        -> Result
    {
        do {
            // A pinned connection is already inside its owner's transaction.
            if let pinned { return try await watched(pinned, body) }
            let logger = logger
            return try await client.withConnection { connection in
                try await self.watched(connection) {
                    try await $0.withTransaction(logger: logger) { try await body($0) }
                }
            }
        } catch {
            throw Self.storeError(error, doing: "write to the store", server: server)
        }
    }

    /// Runs `body` on `connection`, failing at once if the connection closes first
    /// (`ConnectionLossWatch` says why that is needed).
    private func watched<Result: Sendable>(
        _ connection: PostgresConnection, _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let server = server
        return try await lossWatch.run(
            on: connection,
            lost: { StoreError(.unreachable, "lost the connection to \(server) (did it restart, or stop?)") }, body)
    }

    /// A store failure with the server's own words (PSQLError's description hides them).
    /// Why the store could not be opened, in words: the server out of reach (down,
    /// refused, timed out, closed on us, no TLS where it is required) is `.unreachable`
    /// (exit 2); what the server refused (a password, a database) is `.failed` (exit 1).
    static func openingError(_ error: any Error, location: PostgresLocation) -> any Error {
        let server = "PostgreSQL at \(location.host):\(location.port)"
        if let psql = error as? PSQLError {
            switch psql.code {
            case .sslUnsupported:
                return StoreError(
                    .unreachable,
                    "\(server) does not offer TLS, which sslmode=\(location.tls.rawValue) requires; turn TLS on in the server, or use sslmode=prefer"
                )
            case .connectionError, .serverClosedConnection, .uncleanShutdown, .clientClosedConnection:
                let cause = psql.underlying.map { ": \(Self.words(for: $0))" } ?? ""
                return StoreError(
                    .unreachable, "could not connect to \(server) (is it running, and reachable from here?)\(cause)")
            case .failedToAddSSLHandler, .receivedUnencryptedDataAfterSSLRequest:
                return StoreError(
                    .unreachable,
                    "could not set up TLS with \(server): \(psql.underlying.map(Self.words(for:)) ?? "the server answered in plain text")"
                )
            default: break
            }
            if let cause = psql.underlying, cause is NIOConnectionError || cause is ChannelError {
                return StoreError(
                    .unreachable,
                    "could not connect to \(server) (is it running, and reachable from here?): \(Self.words(for: cause))"
                )
            }
        }
        return storeError(error, doing: "open the store at \(location.description)", server: server)
    }

    /// A network error as people say it ("Connection refused"), not as a type prints.
    static func words(for error: any Error) -> String {
        if let connection = error as? NIOConnectionError {
            if let first = connection.connectionErrors.first { return words(for: first.error) }
            if connection.dnsAAAAError != nil || connection.dnsAError != nil {
                return "the host name could not be resolved"
            }
            return "no address could be reached"
        }
        if let channel = error as? ChannelError, case .connectTimeout = channel {
            return "no answer within the connect timeout"
        }
        if let io = error as? IOError { return String(cString: strerror(io.errnoCode)) }
        return "\(error)"
    }

    static func storeError(_ error: any Error, doing what: String, server: String) -> any Error {
        if error is StoreError { return error }
        if let transaction = error as? PostgresTransactionError {
            return storeError(
                transaction.closureError ?? transaction.commitError ?? transaction.beginError ?? error, doing: what,
                server: server)
        }
        if let psql = error as? PSQLError {
            switch psql.code {
            case .serverClosedConnection, .connectionError, .uncleanShutdown, .clientClosedConnection:
                // A failure of the world (exit 2, and `run --every` tries again later).
                return StoreError(
                    .unreachable, "could not \(what): lost the connection to \(server) (did it restart, or stop?)")
            default: break
            }
            if let message = psql.serverInfo?[.message] {
                let code = psql.serverInfo?[.sqlState].map { " (\($0))" } ?? ""
                return StoreError(.failed, "could not \(what): PostgreSQL said: \(message)\(code)")
            }
            return StoreError(.failed, "could not \(what): \(String(reflecting: psql.underlying ?? psql))")
        }
        return StoreError(.failed, "could not \(what): \(error)")
    }

    public func leadCount() async throws -> Int {
        try await read { try await $0.count("SELECT count(*) FROM leads", logger: self.logger) }
    }
}

extension PostgresConnection {
    /// Every row of a query (small results: pages, counts, a lead's history).
    func rows(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRow] {
        try await self.query(query, logger: logger).collect()
    }

    /// The first column of the first row, as a count.
    func count(_ query: PostgresQuery, logger: Logger) async throws -> Int {
        for row in try await rows(query, logger: logger) {
            return try row.decode(Int?.self) ?? 0
        }
        return 0
    }

    /// Runs a statement ending in `RETURNING …`; returns how many rows it touched.
    @discardableResult
    func changes(_ query: PostgresQuery, logger: Logger) async throws -> Int {
        try await rows(query, logger: logger).count
    }
}
