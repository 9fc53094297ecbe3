import Foundation
import NurtureCore

extension SQLiteStore {
    /// The condition, on a lead `l`, that no suppression covers its address or domain.
    static let notSuppressed = """
        NOT EXISTS (SELECT 1 FROM suppressions s
            WHERE s.pattern = lower(l.email) OR s.pattern = '@' || lower(substr(l.email, instr(l.email, '@') + 1)))
        """

    public func suppress(_ patterns: [String], reason: String, now: Date) throws -> Int {
        try connection.transaction {
            let add = try connection.prepare(
                "INSERT INTO suppressions (pattern, reason, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")
            var added = 0
            for pattern in patterns {
                try add.rows([.text(pattern), .text(reason), .integer(now.epochSeconds)])
                added += connection.changes
            }
            return added
        }
    }

    public func unsuppress(_ pattern: String) throws -> Bool {
        try connection.transaction {
            try connection.prepare("DELETE FROM suppressions WHERE pattern = ?").rows([.text(pattern)])
            return connection.changes == 1
        }
    }

    public func suppressions() throws -> [Suppression] {
        var found: [Suppression] = []
        try connection.prepare("SELECT pattern, reason, created_at FROM suppressions ORDER BY created_at, pattern").rows
        {
            found.append(
                Suppression(
                    pattern: $0.text(0) ?? "", reason: $0.text(1) ?? "", createdAt: Date(epochSeconds: $0.integer(2))))
        }
        return found
    }

    public func suppressionEntries(for addresses: [String]) throws -> [String: String] {
        let candidates = Set(addresses.flatMap(Suppression.candidates(for:)))
        guard !candidates.isEmpty else { return [:] }
        var listed = Set<String>()
        try connection.prepare("SELECT pattern FROM suppressions WHERE pattern IN (SELECT value FROM json_each(?))")
            .rows([.text(JSONText.array(Array(candidates)))]) { listed.insert($0.text(0) ?? "") }
        return Dictionary(
            uniqueKeysWithValues: addresses.compactMap { address in
                Suppression.candidates(for: address).first(where: listed.contains).map { (address, $0) }
            })
    }
}
