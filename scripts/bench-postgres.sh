#!/usr/bin/env bash
# The PostgreSQL store against the SQLite one, on this machine, with the same messages:
#   1. import:  `nurture leads import` of IMPORT_ROWS generated rows into each store
#               (beside sqlite3's own .import and psql's \copy of the same file)
#   2. ticks:   N due leads sent into postfix's smtp-sink on loopback, by one sender on
#               SQLite, then by 1, 2, 4… concurrent `run --once` senders on PostgreSQL
#               (each sender with CONNECTIONS SMTP connections)
# PostgreSQL is Debian's, started here as a throw-away cluster with its default
# durability (fsync on). Usage:
#   scripts/bench-postgres.sh [N] [IMPORT_ROWS] [SENDERS...]   (default: 10000 1000000 1 2 4)
set -euo pipefail
cd "$(dirname "$0")/.."

n=${1:-10000}
import_rows=${2:-1000000}
shift 2 || true
senders=("${@:-1 2 4}")
connections=${CONNECTIONS:-4}
scripts/install-deps.sh time
swift build -c release --product nurture >/dev/null
nurture="$PWD/.build/release/nurture"
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
work=$(mktemp -d)
chmod 755 "$work"
sink_pid=""
as_postgres() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
    [[ -n $sink_pid ]] && kill "$sink_pid" 2>/dev/null
    as_postgres "$bin/pg_ctl" -D "$work/pg/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

pg_port=$((20000 + RANDOM % 20000))
mkdir -p "$work/pg"
[[ $(id -u) -eq 0 ]] && chown postgres:postgres "$work/pg"
as_postgres "$bin/initdb" -D "$work/pg/data" -U nurture -A trust -E UTF8 --locale=C >/dev/null
as_postgres "$bin/pg_ctl" -D "$work/pg/data" -l "$work/pg/log" -w -o "-p $pg_port -k $work/pg -c listen_addresses=127.0.0.1" start >/dev/null
psql_() { as_postgres psql -h 127.0.0.1 -p "$pg_port" -U nurture -XAtq "$@"; }
new_db() { psql_ -d postgres -c "CREATE DATABASE $1"; echo "postgres://nurture@127.0.0.1:$pg_port/$1?sslmode=disable"; }

# The project: the realistic multipart message of bench-smtp.sh to N leads.
bash scripts/bench/realistic-project.sh "$work/project" "$n"
# The import file: the shape of scripts/bench-import.sh (several time zones, tags, attributes).
awk -v n="$import_rows" 'BEGIN {
    split("Europe/London America/New_York Asia/Tokyo Europe/Berlin America/Los_Angeles", zones, " ")
    print "email,first_name,last_name,timezone,company,plan,tags"
    for (i = 1; i <= n; i++) printf "person%d@example.com,First%d,Last%d,%s,Company %d,%s,trial;imported\n", i, i, i, zones[i % 5 + 1], i % 977, (i % 3 ? "free" : "pro")
}' > "$work/import.csv"
chmod 644 "$work/import.csv"

elapsed() { awk -F': ' '/Elapsed \(wall clock\)/ {split($2, t, ":"); s = 0; for (i = 1; i <= length(t); i++) s = s * 60 + t[i]; print s}' "$1"; }
peak() { awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$1"; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }
now() { date +%s.%N; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); PostgreSQL $("$bin/postgres" --version | awk '{print $3}')"

# 1. Import.
(cd "$work/project" && NURTURE_DB="$work/import.sqlite" /usr/bin/time -v "$nurture" leads import "$work/import.csv" > /dev/null 2> "$work/t-sqlite")
url=$(new_db import_bench)
(cd "$work/project" && NURTURE_DB="$url" /usr/bin/time -v "$nurture" leads import "$work/import.csv" > /dev/null 2> "$work/t-pg")
start=$(now)
sqlite3 "$work/anchor.sqlite" "CREATE TABLE leads (email TEXT PRIMARY KEY, first_name, last_name, timezone, company, plan, tags)" \
    ".mode csv" ".import --skip 1 $work/import.csv leads"
sqlite_anchor=$(awk -v a="$start" -v b="$(now)" 'BEGIN { print b - a }')
psql_ -d import_bench -c "CREATE TABLE anchor (email TEXT PRIMARY KEY, first_name TEXT, last_name TEXT, timezone TEXT, company TEXT, plan TEXT, tags TEXT)"
start=$(now)
psql_ -d import_bench -c "\\copy anchor FROM '$work/import.csv' WITH (FORMAT csv, HEADER true)"
pg_anchor=$(awk -v a="$start" -v b="$(now)" 'BEGIN { print b - a }')
printf 'import %d rows: SQLite %s rows/s (peak %s MiB; sqlite3 .import %s rows/s), PostgreSQL %s rows/s (peak %s MiB; psql \\copy %s rows/s)\n' \
    "$import_rows" "$(rate "$import_rows" "$(elapsed "$work/t-sqlite")")" "$(peak "$work/t-sqlite")" "$(rate "$import_rows" "$sqlite_anchor")" \
    "$(rate "$import_rows" "$(elapsed "$work/t-pg")")" "$(peak "$work/t-pg")" "$(rate "$import_rows" "$pg_anchor")"

# 2. Ticks into smtp-sink.
smtp_port=$((20000 + RANDOM % 20000))
start_sink() {
    [[ -n $sink_pid ]] && kill "$sink_pid" 2>/dev/null && wait "$sink_pid" 2>/dev/null || true
    smtp-sink -u nobody "127.0.0.1:$smtp_port" 1000 &
    sink_pid=$!
    sleep 0.5
}
export NURTURE_SMTP_URL="smtp://127.0.0.1:$smtp_port" NURTURE_SMTP_MAX_CONNECTIONS="$connections"
start_sink
(cd "$work/project" && NURTURE_DB="$work/tick.sqlite" "$nurture" leads import leads.csv >/dev/null)
start=$(now)
(cd "$work/project" && NURTURE_DB="$work/tick.sqlite" "$nurture" run --once --now 2030-01-07T10:00:00Z > "$work/run.out")
sqlite_s=$(awk -v a="$start" -v b="$(now)" 'BEGIN { print b - a }')
printf 'tick, %d messages, %d connections per sender: SQLite, 1 sender: %s msg/s (%s)\n' "$n" "$connections" "$(rate "$n" "$sqlite_s")" "$(tr -d '\n' < "$work/run.out")"
for count in ${senders[*]}; do
    start_sink
    url=$(new_db "tick_$count")
    (cd "$work/project" && NURTURE_DB="$url" "$nurture" leads import leads.csv >/dev/null)
    start=$(now)
    pids=()
    for index in $(seq 1 "$count"); do
        (cd "$work/project" && NURTURE_DB="$url" /usr/bin/time -v "$nurture" run --once --now 2030-01-07T10:00:00Z > "$work/run-$index.out" 2> "$work/time-$index") &
        pids+=($!)
    done
    for pid in "${pids[@]}"; do wait "$pid"; done
    seconds=$(awk -v a="$start" -v b="$(now)" 'BEGIN { print b - a }')
    sent=$(psql_ -d "tick_$count" -c "SELECT count(*) FROM messages WHERE state = 'sent'")
    copies=$(psql_ -d "tick_$count" -c "SELECT count(*) FROM (SELECT enrollment_id FROM messages GROUP BY 1 HAVING count(*) > 1) d")
    cpu=$(cat "$work"/time-* | awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.1f", s }')
    printf '    PostgreSQL, %d sender(s): %s msg/s (%d sent, %d leads with two copies; senders used %s s of CPU; per sender: %s)\n' \
        "$count" "$(rate "$n" "$seconds")" "$sent" "$copies" "$cpu" "$(for index in $(seq 1 "$count"); do grep -o 'sent [0-9]*' "$work/run-$index.out" | tr -d '\n'; printf ' '; done)"
    rm -f "$work"/time-*
done
