import CSQLite
import Foundation
import NurtureCore
import Synchronization

/// The embedded store: one SQLite file in WAL mode, so that `serve` and a cron `run`
/// can use it at once.
public actor SQLiteStore: Store {
    let connection: SQLiteConnection
    /// A second connection for the check right before a hand-over (`mayStillMail`): a
    /// read in WAL mode never waits for this actor's commits. Nil in memory.
    let handOverCheck: SharedReadConnection?
    /// The `mail_stops` counter each admitted message's admission saw, until its check
    /// right before the hand-over takes it (see `immediateMailCheck`).
    let admittedAtStop = Mutex<[Int64: Int64]>([:])
    /// Admissions (with the outcomes recorded alongside) waiting for the next group
    /// commit (see `handOver`).
    var admissions = GroupCommitQueue<PendingHandOver, [Bool]>()
    /// Tracking requests waiting for the next group commit (see `track`).
    var tracking = GroupCommitQueue<PendingTrack, ActivityVerdict?>()

    /// Opens (creating if needed) the store at `path` and brings its schema up to date.
    public init(path: String, busyTimeout: Duration = .seconds(10)) throws {
        if path != ":memory:" { try PrivateFile.createIfMissing(path) }
        let milliseconds =
            busyTimeout.components.seconds * 1000 + busyTimeout.components.attoseconds / 1_000_000_000_000_000
        connection = try SQLiteConnection(path: path, busyTimeoutMilliseconds: Int32(clamping: milliseconds))
        // WAL lets readers work while a writer commits; FULL sync makes a committed
        // "sent" survive a power cut, not just a crash of the process.
        // A 64 MiB page cache keeps the indexes a tick walks in memory on large stores.
        try connection.execute(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536;"
        )
        try Self.migrate(connection)
        handOverCheck =
            path == ":memory:"
            ? nil : SharedReadConnection(path: path, busyTimeoutMilliseconds: Int32(clamping: milliseconds))
    }

    /// For `leads import`, whose process does nothing else with this connection:
    /// - a 16 MiB page cache: as fast as 64 MiB on 1,000,000 rows, and 50 MiB less at peak
    ///   (an import writes each page once);
    /// - the checks that guard rows written by hand are skipped for rows it builds itself
    ///   (the attributes JSON comes from JSONText, each tag row names the lead id its
    ///   upsert just gave): 5.7 s before, 4.45 s after on 300,000 rows;
    /// - the WAL is copied into the database every 8,000 pages rather than 1,000 (a few per
    ///   cent on 1,000,000 rows; the file waits on disk for the next writer's checkpoint).
    public func prepareForImport() throws {
        try connection.execute(
            """
            PRAGMA cache_size = -16384; PRAGMA foreign_keys = OFF; PRAGMA ignore_check_constraints = ON;
            PRAGMA wal_autocheckpoint = 8000;
            """)
    }

    /// Applies the migrations the file lacks, up to `target` (the latest unless a test
    /// builds a store as an older Nurture left it).
    static func migrate(_ connection: SQLiteConnection, upTo target: Int = SQLiteMigrations.latestVersion) throws {
        // Most opens find the schema current: that is a read, which never waits for a
        // writer, so opening the store does not queue behind a long write.
        if try version(of: connection) == target { return }
        try connection.execute(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)
            """)
        try connection.transaction {
            let current = try version(of: connection)
            guard current <= SQLiteMigrations.latestVersion else {
                throw StoreError(
                    .tooNew,
                    "the store \(connection.path) has schema version \(current), newer than this nurture knows (\(SQLiteMigrations.latestVersion)); upgrade nurture"
                )
            }
            for migration in SQLiteMigrations.all where migration.version > current && migration.version <= target {
                try connection.execute(migration.sql)
                if let optional = migration.optionalSQL { try Self.tryOptional(optional, on: connection) }
                // A schema change is not business state; the wall clock is fine here.
                try connection.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)")
                    .rows([
                        .integer(Int64(migration.version)), .text(migration.name),
                        .integer(Int64(Date().timeIntervalSince1970)),
                    ])
            }
        }
    }

    /// Runs a migration's optional part inside a savepoint, and undoes it (and what it
    /// switched on) when SQLite refuses it. Any error counts as a refusal: the part only
    /// makes the store faster, and the migration's required part has already applied.
    static func tryOptional(_ sql: String, on connection: SQLiteConnection) throws {
        try connection.execute("SAVEPOINT optional_migration")
        do {
            try connection.execute(sql)
            try connection.execute("RELEASE optional_migration")
        } catch {
            try connection.execute(
                "ROLLBACK TO optional_migration; RELEASE optional_migration; PRAGMA writable_schema = OFF")
        }
    }

    public func schemaVersion() throws -> Int { try Self.version(of: connection) }

    /// The schema version of the file: 0 when it has no migrations table yet.
    static func version(of connection: SQLiteConnection) throws -> Int {
        var hasTable = false
        try connection.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
            .rows {
                hasTable = $0.integer(0) == 1
            }
        guard hasTable else { return 0 }
        var version = 0
        try connection.prepare("SELECT coalesce(max(version), 0) FROM schema_migrations").rows {
            version = Int($0.integer(0))
        }
        return version
    }

    public func leadCount() throws -> Int {
        var count = 0
        try connection.prepare("SELECT count(*) FROM leads").rows { count = Int($0.integer(0)) }
        return count
    }
}
