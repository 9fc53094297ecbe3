import Foundation
import NurtureCore
import NurtureTestSupport
import Testing

@testable import NurtureStore

/// What the schema makes each write and each question about messages cost (migration
/// 12): the send loop writes a message's state three times, so a per-write cost the
/// schema adds is paid on every message.
@Suite struct SQLiteSchemaCostTests {
    /// The writes the send loop and the tracker make per message: a state check that
    /// builds a temporary b-tree of its constants each run (`x IN` three or more) shows
    /// as an `OpenEphemeral` in the statement's program.
    static let hotWrites = [
        "INSERT INTO messages (enrollment_id, step_id, state, claimed_at) VALUES (1, 'one', 'claimed', 0)",
        "UPDATE messages SET state = 'sending' WHERE id = 1",
        "UPDATE messages SET state = 'sent', sent_at = 0 WHERE id = 1",
        "UPDATE enrollments SET state = 'completed', next_due_at = NULL WHERE id = 1 AND state = 'active'",
        "UPDATE leads SET status = 'unsubscribed' WHERE id = 1",
        "INSERT INTO activity (message_row, kind, class, reason, occurred_at_ms) VALUES (1, 'click', 'human', 'r', 0)",
    ]

    /// A second connection to a new store's file (the directory holds it until released).
    static func newStore() throws -> (TemporaryDirectory, SQLiteConnection) {
        let directory = try TemporaryDirectory()
        let path = directory.url.appendingPathComponent("nurture.sqlite").path
        _ = try SQLiteStore(path: path)
        return (directory, try SQLiteConnection(path: path, busyTimeoutMilliseconds: 1000))
    }

    /// One column of every row `sql` gives.
    static func column<T>(
        _ column: Int32, of sql: String, on connection: SQLiteConnection, _ read: (SQLiteStatement, Int32) -> T
    ) throws -> [T] {
        var values: [T] = []
        try connection.prepare(sql).rows { values.append(read($0, column)) }
        return values
    }

    static func texts(_ column: Int32, of sql: String, on connection: SQLiteConnection) throws -> [String] {
        try Self.column(column, of: sql, on: connection) { $0.text($1) ?? "" }
    }

    @Test(arguments: hotWrites)
    func aWriteOfAStateBuildsNoTemporaryTable(_ sql: String) throws {
        let (directory, connection) = try Self.newStore()
        defer { withExtendedLifetime(directory) {} }
        let opcodes = try Self.texts(1, of: "EXPLAIN \(sql)", on: connection)
        #expect(!opcodes.isEmpty)
        #expect(!opcodes.contains("OpenEphemeral"), "\(sql)")
    }

    /// Every tick starts by asking which messages were in flight; the status page asks
    /// which are deferred or unknown. Each must read an index of those few, not every
    /// message ever sent.
    @Test(arguments: [
        "SELECT id FROM messages WHERE state IN ('claimed', 'sending') ORDER BY id",
        "SELECT count(*) FROM messages WHERE state IN ('claimed', 'sending')",
        "SELECT enrollment_id FROM messages WHERE state = 'unknown'",
        "SELECT m.id FROM messages m WHERE m.state = 'unknown' ORDER BY m.claimed_at",
        "SELECT m.id FROM messages m WHERE m.state = 'deferred' ORDER BY m.next_attempt_at LIMIT 50",
    ])
    func aQuestionAboutMessagesInDoubtReadsAnIndex(_ sql: String) throws {
        let (directory, connection) = try Self.newStore()
        defer { withExtendedLifetime(directory) {} }
        let plan = try Self.texts(3, of: "EXPLAIN QUERY PLAN \(sql)", on: connection)
        #expect(plan.contains { $0.contains("USING") && $0.contains("INDEX messages_") }, "\(sql): \(plan)")
    }

    /// A store made before migration 12, with rows in it, keeps them, passes SQLite's
    /// own integrity check, and still refuses a state that is not one.
    @Test func anOlderStoreKeepsItsRowsAndItsRules() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.url.appendingPathComponent("nurture.sqlite").path
        do {
            let old = try SQLiteConnection(path: path, busyTimeoutMilliseconds: 1000)
            try old.execute("PRAGMA journal_mode = WAL")
            try SQLiteStore.migrate(old, upTo: 11)
            try old.execute(
                """
                INSERT INTO leads (id, email, email_key, created_at, updated_at) VALUES (1, 'ada@acme.example', 'ada@acme.example', 0, 0);
                INSERT INTO enrollments (id, campaign_id, lead_id, state, enrolled_at) VALUES (1, 'welcome', 1, 'active', 0);
                INSERT INTO messages (id, enrollment_id, step_id, state, claimed_at) VALUES (1, 1, 'one', 'sending', 0), (2, 1, 'two', 'sent', 0);
                """)
        }
        let store = try SQLiteStore(path: path)
        #expect(try await store.schemaVersion() == SQLiteMigrations.latestVersion)
        #expect(try await store.interruptedSends().map(\.rowID) == [1])
        let connection = try SQLiteConnection(path: path, busyTimeoutMilliseconds: 1000)
        #expect(try Self.texts(0, of: "PRAGMA integrity_check", on: connection) == ["ok"])
        let tables = try Self.texts(
            0, of: "SELECT sql FROM sqlite_master WHERE name IN ('messages', 'enrollments', 'leads', 'activity')",
            on: connection
        )
        .joined(separator: ";")
        #expect(
            tables.contains("state = 'skipped'") && tables.contains("status = 'complained'")
                && tables.contains("class = 'machine'"))
        #expect(throws: (any Error).self) {
            try connection.execute(
                "INSERT INTO messages (enrollment_id, step_id, state, claimed_at) VALUES (1, 'three', 'mailed', 0)")
        }
        #expect(throws: (any Error).self) {
            try connection.execute("UPDATE enrollments SET state = 'paused' WHERE id = 1")
        }
        #expect(throws: (any Error).self) { try connection.execute("UPDATE leads SET status = 'gone' WHERE id = 1") }
    }

    /// A SQLite that refuses a migration's optional part (one built in defensive mode
    /// refuses schema edits) leaves the store as it was before that part, and usable.
    @Test func aRefusedOptionalPartIsUndoneAndTheMigrationGoesOn() throws {
        let directory = try TemporaryDirectory()
        let connection = try SQLiteConnection(
            path: directory.url.appendingPathComponent("t.sqlite").path, busyTimeoutMilliseconds: 1000)
        try connection.execute("CREATE TABLE t (x INTEGER)")
        try connection.transaction {
            try connection.execute("INSERT INTO t VALUES (1)")
            try SQLiteStore.tryOptional(
                "PRAGMA writable_schema = ON; INSERT INTO t VALUES (2); UPDATE no_such_table SET x = 1", on: connection)
            try connection.execute("INSERT INTO t VALUES (3)")
        }
        #expect(try Self.column(0, of: "SELECT x FROM t ORDER BY x", on: connection) { $0.integer($1) } == [1, 3])
        #expect(try Self.column(0, of: "PRAGMA writable_schema", on: connection) { $0.integer($1) } == [0])
    }
}
