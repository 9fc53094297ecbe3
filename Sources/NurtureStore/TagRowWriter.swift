/// Writes `lead_tags` rows many to a statement: `INSERT … VALUES (…), (…), …` with
/// `rowsPerStatement` rows, the last few one by one. An import writes two or three tags
/// per lead, and one statement per tag row cost SQLite a statement's start and end for
/// every row, and each row's index insert a descent from the root: within a statement
/// the cursors stay open where the last row went. Rows are written in the order they
/// were added, so `seq` keeps that order. A tag the lead already has is left as it is.
struct TagRowWriter {
    static let rowsPerStatement = 64

    private let full: SQLiteStatement
    private let single: SQLiteStatement
    private let addedAt: Int64
    private var pending: [(leadID: Int64, tag: String)] = []

    init(connection: SQLiteConnection, addedAt: Int64) throws {
        full = try connection.prepare(Self.fullSQL)
        single = try connection.prepare(Self.singleSQL)
        self.addedAt = addedAt
        pending.reserveCapacity(Self.rowsPerStatement)
    }

    /// `(lead_id, tag, added_at)` for `count` rows, with the shared time in ?1.
    static func insertSQL(rows count: Int) -> String {
        var sql = "INSERT INTO lead_tags (lead_id, tag, added_at) VALUES "
        for row in 0..<count {
            if row > 0 { sql += ", " }
            sql += "(?\(2 * row + 2), ?\(2 * row + 3), ?1)"
        }
        return sql + " ON CONFLICT DO NOTHING"
    }

    private static let fullSQL = insertSQL(rows: rowsPerStatement)
    private static let singleSQL = insertSQL(rows: 1)

    mutating func add(leadID: Int64, tag: String) throws {
        pending.append((leadID, tag))
        if pending.count == Self.rowsPerStatement {
            try write(pending[...], with: full)
            pending.removeAll(keepingCapacity: true)
        }
    }

    /// Writes what is pending; call it before the transaction ends.
    mutating func finish() throws {
        for row in pending.indices { try write(pending[row...row], with: single) }
        pending.removeAll(keepingCapacity: true)
    }

    private func write(_ rows: ArraySlice<(leadID: Int64, tag: String)>, with statement: SQLiteStatement) throws {
        try statement.set(1, addedAt)
        var parameter: Int32 = 2
        for row in rows {
            try statement.set(parameter, row.leadID)
            try statement.set(parameter + 1, row.tag)
            parameter += 2
        }
        try statement.run()
    }
}
