#!/usr/bin/env bash
# SMTP delivery benchmark: postfix's smtp-sink on loopback receives the same N messages
# of about 4 KB from three senders at the same concurrency:
#   1. smtp-source -d          postfix's own client: the protocol's ceiling here
#   2. curl-bare               a bare libcurl multi loop re-sending one pre-built message
#                              over reused connections: the ceiling of our library
#   3. nurture run --once      the real path: N leads, scheduling, rendering, MIME, store
# and prints the rates and the ratios. Usage: scripts/bench-smtp.sh [N] [CONNECTIONS...]
# (default: 10000 messages, 1 and 4 connections)
set -euo pipefail
cd "$(dirname "$0")/.."

n=${1:-10000}
shift || true
widths=("${@:-1 4}")
scripts/install-deps.sh time
swift build -c release --product nurture >/dev/null
nurture="$PWD/.build/release/nurture"
work=$(mktemp -d)
sink_pid=""
trap '[[ -n $sink_pid ]] && kill $sink_pid 2>/dev/null; rm -rf "$work"' EXIT
gcc -O2 -o "$work/curl-bare" scripts/bench/curl-bare.c -lcurl

# The project: one 4 KB text step to N leads.
bash scripts/bench/text-project.sh "$work/project" "$n"
(cd "$work/project" && "$nurture" leads import leads.csv >/dev/null && cp nurture.sqlite base.sqlite)
(cd "$work/project" && "$nurture" preview bench one --attr first_name=Lead1 --format text > "$work/body.txt")
# The bare loop sends a message of the same size as nurture's.
{ printf 'From: Acme <hello@acme.example>\r\nTo: lead@example.com\r\nSubject: Hello\r\nMIME-Version: 1.0\r\n\r\n'; sed 's/$/\r/' "$work/body.txt"; } > "$work/message.eml"
size=$(wc -c < "$work/message.eml")

port=$((20000 + RANDOM % 20000))
start_sink() {
    [[ -n $sink_pid ]] && kill "$sink_pid" 2>/dev/null && wait "$sink_pid" 2>/dev/null || true
    smtp-sink -u nobody "127.0.0.1:$port" 1000 &
    sink_pid=$!
    sleep 0.5
}
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }
elapsed() { awk -F': ' '/Elapsed \(wall clock\)/ {split($2, t, ":"); s = 0; for (i = 1; i <= length(t); i++) s = s * 60 + t[i]; print s}' "$1"; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); $n messages of $size bytes"
for width in ${widths[*]}; do
    start_sink
    /usr/bin/time -v smtp-source -d -s "$width" -m "$n" -l "$size" -f hello@acme.example -t lead@example.com "127.0.0.1:$port" 2> "$work/t1"
    source_s=$(elapsed "$work/t1")
    start_sink
    read -r sent bare_s failed < <("$work/curl-bare" "smtp://127.0.0.1:$port" "$work/message.eml" "$n" "$width")
    start_sink
    (cd "$work/project" && cp base.sqlite nurture.sqlite && rm -f nurture.sqlite-wal nurture.sqlite-shm &&
        NURTURE_SMTP_URL="smtp://127.0.0.1:$port" NURTURE_SMTP_MAX_CONNECTIONS="$width" \
        /usr/bin/time -v "$nurture" run --once --now 2030-01-07T10:00:00Z > "$work/run.out" 2> "$work/t3")
    run_s=$(elapsed "$work/t3")
    rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2 / 1024}' "$work/t3")
    printf '%d connection(s): smtp-source %s msg/s, curl-bare %s msg/s, nurture run %s msg/s (peak RSS %s MiB)\n' \
        "$width" "$(rate "$n" "$source_s")" "$(rate "$n" "$bare_s")" "$(rate "$n" "$run_s")" "$rss"
    printf '    nurture/curl-bare %.0f%%, curl-bare/smtp-source %.0f%%; nurture: %s\n' \
        "$(awk -v a="$bare_s" -v b="$run_s" 'BEGIN { print 100 * a / b }')" \
        "$(awk -v a="$source_s" -v b="$bare_s" 'BEGIN { print 100 * a / b }')" "$(tr -d '\n' < "$work/run.out")"
done
