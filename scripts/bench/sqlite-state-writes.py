#!/usr/bin/python3
"""What a state check costs each write (SQLite migration 12).

Writes a message's state twice (claimed -> sending -> sent) for N rows, one statement
per write as the send loop does, under the schema's rules as they were (IN lists in the
CHECK and the in-doubt index's WHERE) and as they are (comparisons; an index per
question), and prints microseconds per write, best of three. Run with Debian's Python
(/usr/bin/python3): its sqlite3 module uses the same libsqlite3 as nurture.
Usage: scripts/bench/sqlite-state-writes.py [N]
"""
import os
import sqlite3
import sys
import tempfile
import time

STATES = ["claimed", "sending", "sent", "deferred", "failed", "unknown", "skipped"]
SCHEMAS = {
    "IN lists (before)": (
        "CHECK (state IN (%s))" % ", ".join(f"'{s}'" for s in STATES),
        ["CREATE INDEX in_doubt ON m(state) WHERE state IN ('claimed', 'sending', 'unknown', 'deferred')"],
    ),
    "comparisons (now)": (
        "CHECK (%s)" % " OR ".join(f"state = '{s}'" for s in STATES),
        [
            "CREATE INDEX in_flight ON m(state) WHERE state IN ('claimed', 'sending')",
            "CREATE INDEX unknown ON m(claimed_at) WHERE state = 'unknown'",
            "CREATE INDEX deferred ON m(next_attempt_at) WHERE state = 'deferred'",
        ],
    ),
    "no check, no index": ("", []),
}


def microseconds_per_write(check, indexes, n):
    with tempfile.TemporaryDirectory() as folder:
        db = sqlite3.connect(os.path.join(folder, "bench.sqlite"), isolation_level=None)
        db.execute("PRAGMA journal_mode = WAL")
        db.execute(f"CREATE TABLE m (id INTEGER PRIMARY KEY, state TEXT NOT NULL {check}, claimed_at INTEGER, next_attempt_at INTEGER)")
        for index in indexes:
            db.execute(index)
        db.execute("BEGIN")
        db.executemany("INSERT INTO m (state, claimed_at) VALUES ('claimed', ?)", ((i,) for i in range(n)))
        db.execute("COMMIT")
        start = time.perf_counter()
        db.execute("BEGIN")
        for row in range(1, n + 1):
            db.execute("UPDATE m SET state = 'sending' WHERE id = ?", (row,))
            db.execute("UPDATE m SET state = 'sent' WHERE id = ?", (row,))
        db.execute("COMMIT")
        elapsed = time.perf_counter() - start
        db.close()
        return elapsed / (2 * n) * 1e6


n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
print(f"SQLite {sqlite3.sqlite_version}, {n} rows, two state writes each, best of three")
for name, (check, indexes) in SCHEMAS.items():
    best = min(microseconds_per_write(check, indexes, n) for _ in range(3))
    print(f"  {name:20s} {best:5.2f} µs per write")
