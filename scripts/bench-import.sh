#!/usr/bin/env bash
# Times `nurture leads import` on generated CSV files in a release build, beside the
# anchor measured on the same file in the same run: sqlite3's own `.import` into a table
# with a unique index on the email (SQLite's pace on this machine).
# Usage: scripts/bench-import.sh [ROWS...]   (default: 100000 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh time sqlite3
swift build -c release --product nurture >/dev/null
nurture="$PWD/.build/release/nurture"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -m)"
for rows in "${@:-100000 1000000}"; do
    for n in $rows; do
        csv="$work/leads-$n.csv"
        # Realistic rows: names, a zone, two tags and three custom attributes (~110 bytes).
        awk -v n="$n" 'BEGIN {
            print "email,first_name,last_name,timezone,tags,company,plan,signup_source"
            split("Europe/London America/New_York Asia/Tokyo Europe/Berlin", zones, " ")
            for (i = 1; i <= n; i++)
                printf "lead%d@example%d.com,First%d,Last%d,%s,trial;webinar,Company %d Ltd,pro,ads-%d\n",
                    i, i % 97, i, i, zones[i % 4 + 1], i % 5000, i % 13
        }' > "$csv"
        rm -f "$work/bench.sqlite"*
        /usr/bin/time -v "$nurture" leads import "$csv" --db "$work/bench.sqlite" > "$work/out" 2> "$work/time"
        seconds=$(awk -F': ' '/Elapsed \(wall clock\)/ {split($2, t, ":"); s = 0; for (i = 1; i <= length(t); i++) s = s * 60 + t[i]; print s}' "$work/time")
        rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2 / 1024}' "$work/time")
        printf '%9d rows  %7.2f s  %9.0f rows/s  peak RSS %s MiB  (%s)\n' "$n" "$seconds" \
            "$(awk -v n="$n" -v s="$seconds" 'BEGIN { print n / s }')" "$rss" "$(tr -d '\n' < "$work/out")"
        rm -f "$work/anchor.sqlite"*
        start=$(date +%s.%N)
        sqlite3 "$work/anchor.sqlite" >/dev/null <<SQL
PRAGMA journal_mode=WAL;
CREATE TABLE leads(email TEXT NOT NULL, first_name, last_name, timezone, tags, company, plan, signup_source);
CREATE UNIQUE INDEX leads_email ON leads(email COLLATE NOCASE);
.import --csv --skip 1 $csv leads
SQL
        anchor=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { print e - s }')
        printf '%9s       anchor: sqlite3 .import %9.0f rows/s; nurture / sqlite3 = %.2f\n' "" \
            "$(awk -v n="$n" -v s="$anchor" 'BEGIN { print n / s }')" "$(awk -v a="$anchor" -v b="$seconds" 'BEGIN { print a / b }')"
    done
done
