/// The PostgreSQL schema, as numbered, forward-only steps (its own numbering: the two
/// dialects do not share migrations). A released migration is never edited.
///
/// Times are whole seconds since 1970 in BIGINT columns, as in the SQLite store, so the
/// core hands both stores the same values; only leases and heartbeats, which are about
/// the machines and not about business time, use the server's clock (`now()`).
enum PostgresMigrations {
    struct Migration {
        let version: Int
        let name: String
        let sql: [String]
    }

    static let all: [Migration] = [
        Migration(
            version: 1, name: "schema",
            sql: [
                """
                CREATE TABLE leads (
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    email TEXT NOT NULL,
                    -- Leads are unique by lowercased address: see EmailAddress.normalized.
                    email_key TEXT NOT NULL UNIQUE,
                    first_name TEXT,
                    last_name TEXT,
                    timezone TEXT,
                    attributes JSONB NOT NULL DEFAULT '{}',
                    status TEXT NOT NULL DEFAULT 'active'
                        CHECK (status IN ('active', 'unsubscribed', 'bounced', 'complained')),
                    score INTEGER NOT NULL DEFAULT 0,
                    created_at BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL,
                    status_changed_at BIGINT
                )
                """,
                """
                CREATE TABLE lead_tags (
                    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    lead_id BIGINT NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
                    tag TEXT NOT NULL,
                    added_at BIGINT NOT NULL,
                    -- The writing transaction: enrolment reads what transactions committed
                    -- since its last pass (sequence numbers commit out of order here).
                    created_xid XID8 NOT NULL DEFAULT pg_current_xact_id(),
                    UNIQUE (lead_id, tag)
                )
                """,
                "CREATE INDEX lead_tags_by_tag ON lead_tags (tag, created_xid)",
                "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
                """
                CREATE TABLE events (
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    lead_id BIGINT NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
                    name TEXT NOT NULL,
                    attributes JSONB NOT NULL DEFAULT '{}',
                    occurred_at BIGINT NOT NULL,
                    created_xid XID8 NOT NULL DEFAULT pg_current_xact_id()
                )
                """,
                "CREATE INDEX events_by_lead ON events (lead_id, occurred_at)",
                "CREATE INDEX events_by_name ON events (name, created_xid)",
                """
                CREATE TABLE enrollments (
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    campaign_id TEXT NOT NULL,
                    lead_id BIGINT NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
                    state TEXT NOT NULL CHECK (state IN ('active', 'completed', 'exited', 'converted', 'suppressed')),
                    enrolled_at BIGINT NOT NULL,
                    next_due_at BIGINT,
                    next_step_id TEXT,
                    last_sent_at BIGINT,
                    ended_at BIGINT,
                    end_reason TEXT,
                    -- A sender that picked this enrolment holds it until then (server clock);
                    -- a sender that died lets it go when the lease runs out.
                    leased_until TIMESTAMPTZ,
                    -- Two senders enrolling the same lead at once: this constraint decides.
                    UNIQUE (campaign_id, lead_id)
                )
                """,
                "CREATE INDEX enrollments_due ON enrollments (next_due_at) WHERE state = 'active' AND next_due_at IS NOT NULL",
                "CREATE INDEX enrollments_by_lead ON enrollments (lead_id)",
                """
                CREATE TABLE messages (
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    enrollment_id BIGINT NOT NULL REFERENCES enrollments(id) ON DELETE CASCADE,
                    step_id TEXT NOT NULL,
                    state TEXT NOT NULL
                        CHECK (state IN ('claimed', 'sending', 'sent', 'deferred', 'failed', 'unknown', 'skipped')),
                    message_id TEXT,
                    claimed_at BIGINT NOT NULL,
                    sent_at BIGINT,
                    delivered_at_ms BIGINT,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at BIGINT,
                    last_error TEXT,
                    detail TEXT,
                    -- The sender holding a claimed or sending message (senders.id).
                    sender_id TEXT,
                    -- Each step goes to a lead at most once, whichever sender tries.
                    UNIQUE (enrollment_id, step_id)
                )
                """,
                "CREATE INDEX messages_in_doubt ON messages (state) WHERE state IN ('claimed', 'sending', 'unknown', 'deferred')",
                """
                CREATE TABLE enrollment_cursors (
                    campaign_id TEXT PRIMARY KEY,
                    rule TEXT NOT NULL,
                    -- Every transaction below this one had ended at the last pass.
                    from_xid XID8 NOT NULL
                )
                """,
                """
                CREATE TABLE activity (
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    message_row BIGINT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
                    kind TEXT NOT NULL CHECK (kind IN ('open', 'click')),
                    decoy BOOLEAN NOT NULL DEFAULT false,
                    url TEXT,
                    link INTEGER,
                    class TEXT NOT NULL CHECK (class IN ('human', 'machine', 'unknown')),
                    reason TEXT NOT NULL,
                    occurred_at_ms BIGINT NOT NULL,
                    user_agent TEXT,
                    ip TEXT
                )
                """,
                "CREATE INDEX activity_by_message ON activity (message_row, kind, class)",
                "CREATE INDEX activity_decoys ON activity (message_row, ip, occurred_at_ms) WHERE decoy",
                """
                -- The processes sending on this store, each alive while its heartbeat is fresh.
                CREATE TABLE senders (
                    id TEXT PRIMARY KEY,
                    host TEXT NOT NULL,
                    pid BIGINT NOT NULL,
                    started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                    heartbeat_at TIMESTAMPTZ NOT NULL DEFAULT now()
                )
                """,
            ]),
        // A score is worked out from the recorded opens, clicks and events at the time it
        // is asked for (it decays, and the rules may change), not kept as a number.
        Migration(version: 2, name: "scores from activity", sql: ["ALTER TABLE leads DROP COLUMN score"]),
        // Lifecycle stages, and the queue of leads to check (see the SQLite store: the
        // same rules, queued in the transaction that changed the lead by triggers that
        // exist only while stages are configured: PostgresStore.prepareStageChecks).
        Migration(
            version: 3, name: "stages",
            sql: [
                """
                CREATE TABLE lead_stages (
                    lead_id BIGINT NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
                    stage TEXT NOT NULL,
                    entered_at BIGINT NOT NULL,
                    PRIMARY KEY (lead_id, stage)
                )
                """,
                "CREATE INDEX lead_stages_by_stage ON lead_stages (stage, lead_id)",
                "CREATE SEQUENCE stage_check_seq",
                "CREATE TABLE stage_checks (lead_id BIGINT PRIMARY KEY, seq BIGINT NOT NULL)",
                "CREATE INDEX stage_checks_by_seq ON stage_checks (seq)",
                """
                CREATE FUNCTION queue_stage_check() RETURNS trigger LANGUAGE plpgsql AS $$
                DECLARE
                    lead BIGINT;
                BEGIN
                    IF TG_TABLE_NAME = 'leads' THEN
                        lead := NEW.id;
                    ELSIF TG_TABLE_NAME = 'activity' THEN
                        SELECT e.lead_id INTO lead FROM messages m JOIN enrollments e ON e.id = m.enrollment_id WHERE m.id = NEW.message_row;
                    ELSE
                        lead := NEW.lead_id;
                    END IF;
                    INSERT INTO stage_checks (lead_id, seq) VALUES (lead, nextval('stage_check_seq'))
                        ON CONFLICT (lead_id) DO UPDATE SET seq = excluded.seq;
                    RETURN NULL;
                END $$
                """,
            ]),
        // Where each lead came from (first touch, UTM terms).
        Migration(
            version: 4, name: "sources",
            sql: [
                "ALTER TABLE leads ADD COLUMN source TEXT, ADD COLUMN medium TEXT, ADD COLUMN source_campaign TEXT"
            ]),
        // Webhooks and their outbox (see the SQLite store: the same tables, filled by a
        // trigger in the transaction that records the event).
        Migration(
            version: 5, name: "webhooks",
            sql: [
                "CREATE TABLE webhook_subscriptions (url TEXT NOT NULL, event TEXT NOT NULL, PRIMARY KEY (url, event))",
                """
                CREATE TABLE webhook_deliveries (
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    url TEXT NOT NULL,
                    event_id BIGINT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at BIGINT NOT NULL DEFAULT 0,
                    delivered_at BIGINT,
                    last_error TEXT,
                    last_attempt_at BIGINT,
                    UNIQUE (url, event_id)
                )
                """,
                "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE delivered_at IS NULL",
                """
                CREATE FUNCTION queue_webhooks() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO webhook_deliveries (url, event_id) SELECT url, NEW.id FROM webhook_subscriptions WHERE event = NEW.name;
                    RETURN NULL;
                END $$
                """,
                "CREATE TRIGGER webhook_outbox AFTER INSERT ON events FOR EACH ROW EXECUTE FUNCTION queue_webhooks()",
            ]),
        // Double opt-in (see the SQLite store).
        Migration(
            version: 6, name: "double opt-in",
            sql: [
                """
                CREATE TABLE pending_subscriptions (
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    email TEXT NOT NULL,
                    email_key TEXT NOT NULL UNIQUE,
                    first_name TEXT,
                    last_name TEXT,
                    tags JSONB NOT NULL DEFAULT '[]',
                    source TEXT,
                    medium TEXT,
                    source_campaign TEXT,
                    requested_at BIGINT NOT NULL,
                    confirmation_sent_at BIGINT
                )
                """,
                "CREATE INDEX pending_subscriptions_by_time ON pending_subscriptions (requested_at)",
            ]),
        // A/B variants (see the SQLite store).
        Migration(
            version: 7, name: "variants",
            sql: [
                "ALTER TABLE messages ADD COLUMN variant TEXT",
                """
                CREATE TABLE variant_winners (
                    campaign_id TEXT NOT NULL,
                    step_id TEXT NOT NULL,
                    variant TEXT NOT NULL,
                    decided_at BIGINT NOT NULL,
                    reason TEXT NOT NULL,
                    p_value DOUBLE PRECISION,
                    PRIMARY KEY (campaign_id, step_id)
                )
                """,
            ]),
        // Stage rechecks at a time of their own (see the SQLite store).
        Migration(
            version: 8, name: "stage rechecks",
            sql: [
                "CREATE TABLE stage_rechecks (lead_id BIGINT PRIMARY KEY REFERENCES leads(id) ON DELETE CASCADE, at BIGINT NOT NULL)",
                "CREATE INDEX stage_rechecks_by_time ON stage_rechecks (at)",
            ]),
        // Pending subscription fields (see the SQLite store).
        Migration(
            version: 9, name: "pending subscription fields",
            sql: [
                "ALTER TABLE pending_subscriptions ADD COLUMN timezone TEXT",
                "ALTER TABLE pending_subscriptions ADD COLUMN attributes JSONB NOT NULL DEFAULT '{}'",
            ]),
        // Held messages (see the SQLite store).
        Migration(version: 10, name: "held messages", sql: ["ALTER TABLE enrollments ADD COLUMN held_reason TEXT"]),
        // The suppression list (see the SQLite store).
        Migration(
            version: 11, name: "suppression list",
            sql: [
                "CREATE TABLE suppressions (pattern TEXT PRIMARY KEY, reason TEXT NOT NULL, created_at BIGINT NOT NULL)"
            ]),
        // Received messages handled by `nurture inbound`, by Message-ID, so each is handled
        // once; and the soft bounces of each lead, counted over a window.
        Migration(
            version: 12, name: "inbound mail",
            sql: [
                "CREATE TABLE inbound_messages (message_id TEXT PRIMARY KEY, kind TEXT NOT NULL, handled_at BIGINT NOT NULL)",
                """
                CREATE TABLE soft_bounces (
                    lead_id BIGINT NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
                    at BIGINT NOT NULL,
                    diagnostic TEXT NOT NULL,
                    campaign_id TEXT,
                    step_id TEXT)
                """,
                "CREATE INDEX soft_bounces_by_lead ON soft_bounces (lead_id, at)",
                """
                CREATE TABLE complaint_guards (
                    campaign_id TEXT PRIMARY KEY, tripped_at BIGINT, complaints BIGINT NOT NULL DEFAULT 0,
                    sent BIGINT NOT NULL DEFAULT 0, reset_at BIGINT)
                """,
                "CREATE INDEX events_complained ON events (occurred_at) WHERE name = 'complained'",
            ]),
    ]

    static var latestVersion: Int { all.last?.version ?? 0 }
}
