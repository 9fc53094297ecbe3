/// The SQLite schema, as numbered, forward-only steps. A released migration is never
/// edited: a change is a new migration at the end.
enum SQLiteMigrations {
    struct Migration {
        let version: Int
        let name: String
        let sql: String
    }

    static let all: [Migration] = [
        Migration(version: 1, name: "leads", sql: """
            CREATE TABLE leads (
                id INTEGER PRIMARY KEY,
                email TEXT NOT NULL,
                -- Leads are unique by lowercased address: see EmailAddress.normalized.
                email_key TEXT NOT NULL UNIQUE,
                first_name TEXT,
                last_name TEXT,
                timezone TEXT,
                attributes TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(attributes)),
                status TEXT NOT NULL DEFAULT 'active'
                    CHECK (status IN ('active', 'unsubscribed', 'bounced', 'complained')),
                score INTEGER NOT NULL DEFAULT 0,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                status_changed_at INTEGER
            );
            CREATE TABLE lead_tags (
                lead_id INTEGER NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
                tag TEXT NOT NULL,
                added_at INTEGER NOT NULL,
                PRIMARY KEY (lead_id, tag)
            ) WITHOUT ROWID;
            -- Enrolment by tag looks leads up by tag.
            CREATE INDEX lead_tags_by_tag ON lead_tags(tag, lead_id);
            CREATE TABLE settings (
                key TEXT PRIMARY KEY,
                value TEXT NOT NULL
            );
            """),
    ]

    static var latestVersion: Int { all.last?.version ?? 0 }
}
