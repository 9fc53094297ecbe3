import Foundation
import NurtureCore

extension SQLiteStore {
    public func sentCounts(campaignID: String) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        try connection.prepare(
            """
            SELECT m.step_id, count(*) FROM messages m JOIN enrollments e ON e.id = m.enrollment_id
            WHERE e.campaign_id = ? AND m.state = 'sent' GROUP BY 1
            """
        ).rows([.text(campaignID)]) { row in
            if let step = row.text(0) { counts[step] = Int(row.integer(1)) }
        }
        return counts
    }

    public func knownSteps(campaignID: String) throws -> [String: String]? {
        var text: String?
        try connection.prepare("SELECT value FROM settings WHERE key = ?").rows([.text("campaign_steps:\(campaignID)")])
        { text = $0.text(0) }
        guard let text, let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String]
        else { return nil }
        return object
    }

    public func recordKnownSteps(campaignID: String, templates: [String: String]) throws {
        // Every tick records them: a read first, so the usual tick (nothing changed) takes
        // no write lock for it.
        let key = SQLiteStatement.Value.text("campaign_steps:\(campaignID)")
        let value = JSONText.object(templates)
        var stored: String?
        try connection.prepare("SELECT value FROM settings WHERE key = ?").rows([key]) { stored = $0.text(0) }
        guard stored != value else { return }
        try connection.transaction(durable: false) {
            try connection.prepare(
                """
                INSERT INTO settings (key, value) VALUES (?, ?)
                ON CONFLICT (key) DO UPDATE SET value = excluded.value
                """
            ).rows([key, .text(value)])
        }
    }
}
