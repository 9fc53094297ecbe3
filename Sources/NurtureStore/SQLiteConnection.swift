import CSQLite
import NurtureCore

/// One connection to a SQLite file, with prepared statements cached by their SQL.
/// Not thread-safe: `SQLiteStore` (an actor) owns it.
final class SQLiteConnection {
    private var handle: OpaquePointer?
    private var statements: [String: SQLiteStatement] = [:]
    /// The same statements by where their SQL text lives. Nearly every statement's text
    /// is a literal, at one address on every call: finding it there costs a pointer's
    /// hash and an identity check (`==` on the same storage), where `statements` hashed
    /// a few hundred bytes of SQL on every call (about 2% of a tick's own thread).
    private var statementsByAddress: [UnsafeRawPointer: (sql: String, statement: SQLiteStatement)] = [:]
    let path: String

    /// Process-wide settings, made once before the first connection opens.
    private static let configured: Void = { _ = nurture_sqlite_disable_memory_statistics() }()

    init(path: String, busyTimeoutMilliseconds: Int32) throws {
        self.path = path
        Self.configured
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let code = sqlite3_open_v2(path, &handle, flags, nil)
        guard code == SQLITE_OK else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(handle)
            handle = nil
            throw StoreError(.failed, "cannot open the store at \(path): \(message)")
        }
        sqlite3_busy_timeout(handle, busyTimeoutMilliseconds)
        sqlite3_extended_result_codes(handle, 1)
    }

    deinit {
        statementsByAddress.removeAll()
        statements.removeAll()
        sqlite3_close_v2(handle)
    }

    /// Runs SQL without results (may hold several statements).
    func execute(_ sql: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &error)
        defer { sqlite3_free(error) }
        if code != SQLITE_OK {
            throw failure(code, error.map { String(cString: $0) } ?? "")
        }
    }

    /// A prepared statement, reset and cleared of bindings, reused across calls.
    func prepare(_ sql: String) throws -> SQLiteStatement {
        // A small string (15 bytes or fewer) lives in the String itself, not at an
        // address of its own. An entry keeps its text alive, so no other text can be at
        // its address; `==` (free for the same storage) makes sure all the same.
        let address =
            sql.utf8.count > 15
            ? sql.utf8.withContiguousStorageIfAvailable { UnsafeRawPointer($0.baseAddress) } ?? nil : nil
        if let address, let known = statementsByAddress[address], known.sql == sql {
            known.statement.reset()
            return known.statement
        }
        let statement = try prepareByText(sql)
        if let address {
            // Texts built at run time each add an address: keep the map small.
            if statementsByAddress.count >= 256 { statementsByAddress.removeAll(keepingCapacity: true) }
            statementsByAddress[address] = (sql, statement)
        }
        return statement
    }

    private func prepareByText(_ sql: String) throws -> SQLiteStatement {
        if let cached = statements[sql] {
            cached.reset()
            return cached
        }
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard code == SQLITE_OK, let statement else { throw failure(code, "preparing \(sql)") }
        let prepared = SQLiteStatement(statement, connection: self)
        statements[sql] = prepared
        return prepared
    }

    /// Runs reads in one read transaction: one snapshot, and one set of WAL locks
    /// instead of one per statement.
    func read<T>(_ body: () throws -> T) throws -> T {
        return try wrapped(begin: "BEGIN DEFERRED", commit: "COMMIT", undo: ["ROLLBACK"], body)
    }

    /// Runs `body` in a transaction; `IMMEDIATE` takes the write lock up front so that
    /// two writers wait on the busy timeout instead of failing mid-way.
    /// `durable: false` commits with synchronous=NORMAL: safe against a crash of the
    /// process (WAL), not against a power cut until the next durable commit.
    func transaction<T>(durable: Bool = true, _ body: () throws -> T) throws -> T {
        if !durable { try run("PRAGMA synchronous = NORMAL") }
        defer { if !durable { try? run("PRAGMA synchronous = FULL") } }
        return try wrapped(begin: "BEGIN IMMEDIATE", commit: "COMMIT", undo: ["ROLLBACK"], body)
    }

    private func wrapped<T>(begin: String, commit: String, undo: [String], _ body: () throws -> T) throws -> T {
        try run(begin)
        do {
            let result = try body()
            try run(commit)
            return result
        } catch {
            for statement in undo { try? run(statement) }
            throw error
        }
    }

    /// One statement without results, prepared once: the send loop begins and commits
    /// thousands of transactions per tick, and parsing each BEGIN and COMMIT again shows.
    private func run(_ sql: String) throws {
        try prepare(sql).rows()
    }

    /// Closing this connection leaves the WAL for the next writer to checkpoint, so the
    /// close never takes the write lock.
    func skipCheckpointOnClose() {
        _ = nurture_sqlite_no_checkpoint_on_close(handle)
    }

    /// The row id of the last insert on this connection.
    var lastInsertRowID: Int64 {
        get { sqlite3_last_insert_rowid(handle) }
        // Set to 0 before an upsert, it tells an insert (a new rowid) from an update.
        set { sqlite3_set_last_insert_rowid(handle, newValue) }
    }

    /// Rows changed by the last statement.
    var changes: Int { Int(sqlite3_changes(handle)) }

    func failure(_ code: Int32, _ context: String) -> StoreError {
        let message = String(cString: sqlite3_errmsg(handle))
        let primary = code & 0xFF
        if primary == SQLITE_BUSY || primary == SQLITE_LOCKED {
            return StoreError(.busy, "the store \(path) is locked by another process (waited past the timeout)")
        }
        return StoreError(.failed, "store error \(code) (\(message)) \(context)")
    }
}

/// A prepared statement. Parameters are bound by position, never spliced into SQL.
final class SQLiteStatement {
    private let statement: OpaquePointer
    private unowned let connection: SQLiteConnection

    init(_ statement: OpaquePointer, connection: SQLiteConnection) {
        self.statement = statement
        self.connection = connection
    }

    /// Where `set(_:_:)` copies text that SQLite then reads in place, until `run()`.
    private var scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 16 * 1024, alignment: 1)
    private var scratchUsed = 0

    deinit {
        sqlite3_finalize(statement)
        scratch.deallocate()
    }

    func reset() {
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
        scratchUsed = 0
    }

    // MARK: Bulk writes

    // `rows(_:)` takes an array of values and SQLite copies each text it binds: two
    // allocations per text, which an import makes millions of. `set` and `run` make
    // none: a text is copied once into this statement's buffer and bound in place
    // (one that no longer fits is bound as `rows` binds it).

    /// Binds parameter `index` (from 1) for the next `run()`; nil binds NULL.
    func set(_ index: Int32, _ text: String?) throws {
        guard var text else { return try check(sqlite3_bind_null(statement, index), index) }
        guard scratchUsed + text.utf8.count <= scratch.count, let base = scratch.baseAddress else {
            return try check(bind(text, at: index), index)
        }
        let code = text.withUTF8 { bytes -> Int32 in
            let start = base + scratchUsed
            if let source = bytes.baseAddress { start.copyMemory(from: source, byteCount: bytes.count) }
            scratchUsed += bytes.count
            // SQLITE_STATIC (nil): the bytes stay put until `run` has stepped.
            return sqlite3_bind_text(
                statement, index, start.assumingMemoryBound(to: CChar.self), Int32(bytes.count), nil)
        }
        try check(code, index)
    }

    func set(_ index: Int32, _ number: Int64) throws {
        try check(sqlite3_bind_int64(statement, index, number), index)
    }

    /// Runs the statement with what `set` bound, to completion, each row through `row`,
    /// then clears it for the next (no binding outlives the buffer it points into).
    func run(_ row: (SQLiteStatement) throws -> Void = { _ in }) throws {
        defer { reset() }
        while try step() { try row(self) }
    }

    private func check(_ code: Int32, _ index: Int32) throws {
        guard code == SQLITE_OK else { throw connection.failure(code, "binding parameter \(index)") }
    }

    enum Value {
        case text(String)
        case integer(Int64)
        case real(Double)
        case null
    }

    func bind(_ values: [Value]) throws {
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch value {
            case .text(let text): code = bind(text, at: index)
            case .integer(let number): code = sqlite3_bind_int64(statement, index, number)
            case .real(let number): code = sqlite3_bind_double(statement, index, number)
            case .null: code = sqlite3_bind_null(statement, index)
            }
            guard code == SQLITE_OK else { throw connection.failure(code, "binding parameter \(index)") }
        }
    }

    /// Binds the text by its UTF-8 bytes and their count (SQLite copies them). Passing a
    /// `String` as a C string instead copies a small one into a fresh array first: a
    /// malloc for most of an import's values.
    private func bind(_ text: String, at index: Int32) -> Int32 {
        var text = text
        return text.withUTF8 { bytes in
            // An empty buffer may have no address; SQLite reads a null pointer as NULL.
            guard let base = bytes.baseAddress else {
                return sqlite3_bind_text(statement, index, "", 0, nurture_sqlite_transient())
            }
            return base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                sqlite3_bind_text(statement, index, $0, Int32(bytes.count), nurture_sqlite_transient())
            }
        }
    }

    /// Advances to the next row; false when done.
    func step() throws -> Bool {
        let code = sqlite3_step(statement)
        switch code {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw connection.failure(code, "running a statement")
        }
    }

    /// Binds, runs to completion, and returns every row through `row`.
    func rows(_ values: [Value] = [], _ row: (SQLiteStatement) throws -> Void = { _ in }) throws {
        try bind(values)
        while try step() { try row(self) }
        sqlite3_reset(statement)
    }

    func text(_ column: Int32) -> String? {
        guard sqlite3_column_type(statement, column) != SQLITE_NULL,
            let pointer = sqlite3_column_text(statement, column)
        else { return nil }
        return String(cString: pointer)
    }

    func integer(_ column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }

    func real(_ column: Int32) -> Double? {
        sqlite3_column_type(statement, column) == SQLITE_NULL ? nil : sqlite3_column_double(statement, column)
    }
}
