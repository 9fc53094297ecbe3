/// The SQLite schema, as numbered, forward-only steps. A released migration is never
/// edited: a change is a new migration at the end.
enum SQLiteMigrations {
    struct Migration {
        let version: Int
        let name: String
        let sql: String
        /// Runs after `sql`, and is undone (a savepoint) rather than failing the
        /// migration when SQLite refuses it: for a change that only makes the store
        /// faster and that a build of SQLite may not allow.
        var optionalSQL: String? = nil
    }

    static let all: [Migration] = [
        Migration(
            version: 1, name: "leads",
            sql: """
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
                    -- Grows with every tag added: enrolment reads only tags added since its
                    -- last pass, so a tick costs what is new, not what is stored.
                    seq INTEGER PRIMARY KEY,
                    lead_id INTEGER NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
                    tag TEXT NOT NULL,
                    added_at INTEGER NOT NULL,
                    UNIQUE (lead_id, tag)
                );
                CREATE INDEX lead_tags_by_tag ON lead_tags(tag, seq);
                CREATE TABLE settings (
                    key TEXT PRIMARY KEY,
                    value TEXT NOT NULL
                );
                """),
        Migration(
            version: 2, name: "send loop",
            sql: """
                CREATE TABLE events (
                    id INTEGER PRIMARY KEY,
                    lead_id INTEGER NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
                    name TEXT NOT NULL,
                    attributes TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(attributes)),
                    occurred_at INTEGER NOT NULL
                );
                CREATE INDEX events_by_lead ON events(lead_id, occurred_at);
                CREATE INDEX events_by_name ON events(name, id);
                CREATE TABLE enrollments (
                    id INTEGER PRIMARY KEY,
                    campaign_id TEXT NOT NULL,
                    lead_id INTEGER NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
                    state TEXT NOT NULL CHECK (state IN ('active', 'completed', 'exited', 'converted', 'suppressed')),
                    enrolled_at INTEGER NOT NULL,
                    -- When the scheduler must look at this enrolment again; NULL when it need not.
                    next_due_at INTEGER,
                    -- The step the scheduler expects next, for status and plan (not the truth:
                    -- the message rows are).
                    next_step_id TEXT,
                    last_sent_at INTEGER,
                    ended_at INTEGER,
                    end_reason TEXT,
                    -- A lead is in a campaign at most once.
                    UNIQUE (campaign_id, lead_id)
                );
                -- Picking due work reads this index only: the cost follows what is due.
                CREATE INDEX enrollments_due ON enrollments(next_due_at) WHERE state = 'active' AND next_due_at IS NOT NULL;
                CREATE INDEX enrollments_by_lead ON enrollments(lead_id);
                CREATE TABLE messages (
                    id INTEGER PRIMARY KEY,
                    enrollment_id INTEGER NOT NULL REFERENCES enrollments(id) ON DELETE CASCADE,
                    step_id TEXT NOT NULL,
                    state TEXT NOT NULL
                        CHECK (state IN ('claimed', 'sending', 'sent', 'deferred', 'failed', 'unknown', 'skipped')),
                    message_id TEXT,
                    claimed_at INTEGER NOT NULL,
                    sent_at INTEGER,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at INTEGER,
                    last_error TEXT,
                    detail TEXT,
                    -- Each step goes to a lead at most once: the last line of defence against
                    -- a double send is here, not in Swift.
                    UNIQUE (enrollment_id, step_id)
                );
                CREATE INDEX messages_in_doubt ON messages(state) WHERE state IN ('claimed', 'sending', 'unknown', 'deferred');
                -- Where each campaign's enrolment pass got to in lead_tags and events.
                CREATE TABLE enrollment_cursors (
                    campaign_id TEXT PRIMARY KEY,
                    rule TEXT NOT NULL,
                    tag_seq INTEGER NOT NULL DEFAULT 0,
                    event_id INTEGER NOT NULL DEFAULT 0
                );
                """),
        Migration(
            version: 3, name: "tracking",
            sql: """
                -- When the transport accepted the message, in wall-clock milliseconds: the
                -- machine window counts from here (sent_at is the tick's clock).
                ALTER TABLE messages ADD COLUMN delivered_at_ms INTEGER;
                -- Every request to an open, click or decoy URL, kept even when a machine made it.
                CREATE TABLE activity (
                    id INTEGER PRIMARY KEY,
                    message_row INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
                    kind TEXT NOT NULL CHECK (kind IN ('open', 'click')),
                    decoy INTEGER NOT NULL DEFAULT 0,
                    url TEXT,
                    link INTEGER,
                    class TEXT NOT NULL CHECK (class IN ('human', 'machine', 'unknown')),
                    reason TEXT NOT NULL,
                    occurred_at_ms INTEGER NOT NULL,
                    user_agent TEXT,
                    ip TEXT
                );
                CREATE INDEX activity_by_message ON activity(message_row, kind, class);
                -- Each click asks whether its address followed the decoy: answered from this
                -- small index, not by reading every click of the message.
                CREATE INDEX activity_decoys ON activity(message_row, ip, occurred_at_ms) WHERE decoy = 1;
                """),
        Migration(
            version: 4, name: "send lock in the store",
            sql: """
                -- Who may send: at most one row. A lock file beside the store meant nothing to a
                -- process that reached the same store through another path.
                CREATE TABLE send_lock (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    host TEXT NOT NULL,
                    pid INTEGER NOT NULL,
                    process_start TEXT NOT NULL,
                    acquired_at INTEGER NOT NULL
                );
                """),
        Migration(
            version: 5, name: "scores from activity",
            sql: """
                -- A score is worked out from the recorded opens, clicks and events at the time
                -- it is asked for (it decays, and the rules may change), not kept as a number.
                ALTER TABLE leads DROP COLUMN score;
                """),
        Migration(
            version: 6, name: "stages",
            sql: """
                CREATE TABLE lead_stages (
                    lead_id INTEGER NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
                    stage TEXT NOT NULL,
                    entered_at INTEGER NOT NULL,
                    PRIMARY KEY (lead_id, stage)
                ) WITHOUT ROWID;
                CREATE INDEX lead_stages_by_stage ON lead_stages(stage, lead_id);
                -- Leads whose stages must be checked again, queued by triggers in the transaction
                -- that changed them (so a crash loses no check). The triggers exist only while
                -- stage rules are configured (SQLiteStore.prepareStageChecks creates and drops
                -- them), so an import without stages pays nothing. `seq` orders the queue; a
                -- check clears a lead only up to the seq it read.
                CREATE TABLE stage_checks (
                    lead_id INTEGER PRIMARY KEY,
                    seq INTEGER NOT NULL
                );
                CREATE INDEX stage_checks_by_seq ON stage_checks(seq);
                """),
        Migration(
            version: 7, name: "sources",
            sql: """
                -- Where each lead came from (first touch, UTM terms).
                ALTER TABLE leads ADD COLUMN source TEXT;
                ALTER TABLE leads ADD COLUMN medium TEXT;
                ALTER TABLE leads ADD COLUMN source_campaign TEXT;
                """),
        Migration(
            version: 8, name: "webhooks",
            sql: """
                -- What nurture.yml's webhooks want (replaced whenever it is read by run or serve).
                CREATE TABLE webhook_subscriptions (
                    url TEXT NOT NULL,
                    event TEXT NOT NULL,
                    PRIMARY KEY (url, event)
                ) WITHOUT ROWID;
                -- The outbox: one row per event and webhook, written by the trigger below in the
                -- transaction that records the event, so a crash loses no delivery.
                CREATE TABLE webhook_deliveries (
                    id INTEGER PRIMARY KEY,
                    url TEXT NOT NULL,
                    event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at INTEGER NOT NULL DEFAULT 0,
                    delivered_at INTEGER,
                    last_error TEXT,
                    last_attempt_at INTEGER,
                    UNIQUE (url, event_id)
                );
                CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at) WHERE delivered_at IS NULL;
                CREATE TRIGGER webhook_outbox AFTER INSERT ON events BEGIN
                    INSERT INTO webhook_deliveries (url, event_id) SELECT url, new.id FROM webhook_subscriptions WHERE event = new.name;
                END;
                """),
        Migration(
            version: 9, name: "double opt-in",
            sql: """
                -- Subscriptions from the form waiting for their owner to confirm: not leads yet.
                CREATE TABLE pending_subscriptions (
                    id INTEGER PRIMARY KEY,
                    email TEXT NOT NULL,
                    email_key TEXT NOT NULL UNIQUE,
                    first_name TEXT,
                    last_name TEXT,
                    tags TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(tags)),
                    source TEXT,
                    medium TEXT,
                    source_campaign TEXT,
                    requested_at INTEGER NOT NULL,
                    confirmation_sent_at INTEGER
                );
                CREATE INDEX pending_subscriptions_by_time ON pending_subscriptions(requested_at);
                """),
        Migration(
            version: 10, name: "variants",
            sql: """
                -- Which A/B variant of its step a message is (NULL: the step has none), chosen
                -- when it is claimed and never changed.
                ALTER TABLE messages ADD COLUMN variant TEXT;
                -- A step's A/B test, once decided: later messages are the winner.
                CREATE TABLE variant_winners (
                    campaign_id TEXT NOT NULL,
                    step_id TEXT NOT NULL,
                    variant TEXT NOT NULL,
                    decided_at INTEGER NOT NULL,
                    reason TEXT NOT NULL,
                    p_value REAL,
                    PRIMARY KEY (campaign_id, step_id)
                ) WITHOUT ROWID;
                """),
        Migration(
            version: 11, name: "tags without a by-tag index",
            sql: """
                -- Enrolment reads the tags added since its last pass by their seq (the rowid)
                -- and filters them by name, so it does not need this index; every tag row
                -- written paid for it. Measured on a 1,000,000-lead import with two tags each:
                -- 7.7 s with the index, 5.6 s without. A new campaign's first pass over
                -- 2,000,000 tag rows for a tag that few leads carry takes 0.13 s instead of
                -- 0.005 s, once; one for a tag that most carry is faster (0.42 s, not 0.70).
                DROP INDEX IF EXISTS lead_tags_by_tag;
                """),
        Migration(
            version: 12, name: "state checks without temporary tables",
            sql: """
                -- SQLite evaluates `x IN (three or more constants)` in a CHECK constraint or a
                -- partial index's WHERE by building a temporary b-tree of the constants, once
                -- per statement run: every write of a message's state (claimed, sending, sent:
                -- three per message) built three or four of them. 20,000 rows written twice
                -- each (scripts/bench/sqlite-state-writes.py, three runs): 6.6-7.4 µs a write
                -- with these checks and the old in-doubt index, 2.0 µs with the same rules
                -- written as comparisons and the indexes below.
                --
                -- The old index of messages in doubt was used by none of the queries it was
                -- for (a query's `state IN ('claimed', 'sending')` or `state = 'unknown'` does
                -- not match its WHERE, so each scanned every message ever sent, at every
                -- tick's start): one index per question asked, each matching its query's
                -- WHERE as written.
                DROP INDEX messages_in_doubt;
                CREATE INDEX messages_in_flight ON messages(state) WHERE state IN ('claimed', 'sending');
                CREATE INDEX messages_unknown ON messages(claimed_at) WHERE state = 'unknown';
                CREATE INDEX messages_deferred ON messages(next_attempt_at) WHERE state = 'deferred';
                """,
            optionalSQL: """
                -- The CHECK constraints say the same as before, as comparisons: a change that
                -- leaves every stored row valid and the file's content as it is, which SQLite
                -- documents doing by editing the schema's text ("Making Other Kinds Of Table
                -- Schema Changes", lang_altertable.html). Every other connection rereads the
                -- schema because the index changes above, in the same transaction, change its
                -- version; the migrating one is told to with `writable_schema = RESET`. A
                -- SQLite built in defensive mode refuses the edit: the store then keeps the
                -- old checks, equivalent and slower.
                PRAGMA writable_schema = ON;
                UPDATE sqlite_master SET sql = replace(sql, 'CHECK (state IN (''claimed'', ''sending'', ''sent'', ''deferred'', ''failed'', ''unknown'', ''skipped''))',
                    'CHECK (state = ''claimed'' OR state = ''sending'' OR state = ''sent'' OR state = ''deferred'' OR state = ''failed'' OR state = ''unknown'' OR state = ''skipped'')')
                    WHERE type = 'table' AND name = 'messages';
                UPDATE sqlite_master SET sql = replace(sql, 'CHECK (state IN (''active'', ''completed'', ''exited'', ''converted'', ''suppressed''))',
                    'CHECK (state = ''active'' OR state = ''completed'' OR state = ''exited'' OR state = ''converted'' OR state = ''suppressed'')')
                    WHERE type = 'table' AND name = 'enrollments';
                UPDATE sqlite_master SET sql = replace(sql, 'CHECK (status IN (''active'', ''unsubscribed'', ''bounced'', ''complained''))',
                    'CHECK (status = ''active'' OR status = ''unsubscribed'' OR status = ''bounced'' OR status = ''complained'')')
                    WHERE type = 'table' AND name = 'leads';
                UPDATE sqlite_master SET sql = replace(sql, 'CHECK (class IN (''human'', ''machine'', ''unknown''))',
                    'CHECK (class = ''human'' OR class = ''machine'' OR class = ''unknown'')')
                    WHERE type = 'table' AND name = 'activity';
                PRAGMA writable_schema = RESET;
                """),
        Migration(
            version: 13, name: "stage rechecks",
            sql: """
                -- Leads to check against the stage rules again at a time of their own: they
                -- recorded an event dated after the clock of the check that last saw them
                -- (`event --at` ahead of a replay). StageKeeper moves the due ones into
                -- stage_checks at the start of each pass.
                CREATE TABLE stage_rechecks (
                    lead_id INTEGER PRIMARY KEY REFERENCES leads(id) ON DELETE CASCADE,
                    at INTEGER NOT NULL
                );
                CREATE INDEX stage_rechecks_by_time ON stage_rechecks(at);
                """),
        Migration(
            version: 14, name: "pending subscription fields",
            sql: """
                -- The fields a form keeps (subscribe.fields) wait with the subscription until
                -- it is confirmed.
                ALTER TABLE pending_subscriptions ADD COLUMN timezone TEXT;
                ALTER TABLE pending_subscriptions ADD COLUMN attributes TEXT NOT NULL DEFAULT '{}';
                """),
        Migration(
            version: 15, name: "held messages",
            sql: """
                -- Why an active enrolment's next step waits (a variable the lead lacks), set
                -- by the tick that held it and cleared by any other decision.
                ALTER TABLE enrollments ADD COLUMN held_reason TEXT;
                """),
        Migration(
            version: 16, name: "suppression list",
            sql: """
                -- Addresses (lower case) and whole domains ('@' and the domain) no campaign may
                -- mail: checked when a step is decided and again when its message is admitted.
                CREATE TABLE suppressions (
                    pattern TEXT PRIMARY KEY,
                    reason TEXT NOT NULL,
                    created_at INTEGER NOT NULL
                ) WITHOUT ROWID;
                """),
        Migration(
            version: 17, name: "mail stops",
            sql: """
                -- A counter moved by every change that can stop a message already admitted
                -- (`sending`): its lead no longer active or gone, a suppression added, its
                -- enrolment ended while it is in flight. The check right before each MAIL FROM
                -- reads this one row and compares it with the value its admission saw, and
                -- reads the lead, drip and suppressions only when it moved. A `sending` row
                -- itself is only ever moved by the tick holding the send lock.
                CREATE TABLE mail_stops (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL);
                INSERT INTO mail_stops VALUES (1, 0);
                CREATE TRIGGER mail_stop_lead_status AFTER UPDATE OF status ON leads
                    WHEN old.status = 'active' AND new.status <> 'active'
                    BEGIN UPDATE mail_stops SET version = version + 1 WHERE id = 1; END;
                CREATE TRIGGER mail_stop_lead_gone AFTER DELETE ON leads
                    BEGIN UPDATE mail_stops SET version = version + 1 WHERE id = 1; END;
                CREATE TRIGGER mail_stop_suppression AFTER INSERT ON suppressions
                    BEGIN UPDATE mail_stops SET version = version + 1 WHERE id = 1; END;
                CREATE TRIGGER mail_stop_drip_ended AFTER UPDATE OF state ON enrollments
                    WHEN old.state = 'active' AND new.state <> 'active'
                        AND EXISTS (SELECT 1 FROM messages WHERE enrollment_id = new.id AND state = 'sending')
                    BEGIN UPDATE mail_stops SET version = version + 1 WHERE id = 1; END;
                CREATE TRIGGER mail_stop_message_gone AFTER DELETE ON messages WHEN old.state = 'sending'
                    BEGIN UPDATE mail_stops SET version = version + 1 WHERE id = 1; END;
                """),
        Migration(
            version: 18, name: "inbound mail",
            sql: """
                -- Received messages handled by `nurture inbound`, by Message-ID, so each is
                -- handled once; and the soft bounces of each lead, counted over a window.
                CREATE TABLE inbound_messages (
                    message_id TEXT PRIMARY KEY,
                    kind TEXT NOT NULL,
                    handled_at INTEGER NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE soft_bounces (
                    lead_id INTEGER NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
                    at INTEGER NOT NULL,
                    diagnostic TEXT NOT NULL,
                    -- The message of ours it is about, when the report named one.
                    campaign_id TEXT,
                    step_id TEXT
                );
                CREATE INDEX soft_bounces_by_lead ON soft_bounces(lead_id, at);
                -- The complaint guard per campaign: tripped (when, on what counts), or reset
                -- (complaints counted afresh from then).
                CREATE TABLE complaint_guards (
                    campaign_id TEXT PRIMARY KEY,
                    tripped_at INTEGER,
                    complaints INTEGER NOT NULL DEFAULT 0,
                    sent INTEGER NOT NULL DEFAULT 0,
                    reset_at INTEGER
                ) WITHOUT ROWID;
                CREATE INDEX events_complained ON events(occurred_at) WHERE name = 'complained';
                """),
    ]

    static var latestVersion: Int { all.last?.version ?? 0 }
}
