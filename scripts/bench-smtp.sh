#!/usr/bin/env bash
# Delivery benchmark (issue 13): postfix's smtp-sink on loopback receives the same N
# messages of the realistic shape (scripts/bench/realistic-project.sh: multipart, text and
# HTML parts of about 6 KB, 16 paragraphs with two variables each, an unsubscribe link;
# leads in six time zones with tags and attributes) from three senders, one after the
# other in the same run, at the same concurrency:
#   1. smtp-source -d          postfix's own client: the protocol's ceiling here
#   2. curl-bare               a bare libcurl multi loop re-sending one pre-built message
#                              of the same size over reused connections (our library's ceiling)
#   3. nurture run --once      the real path: N leads, scheduling, rendering, MIME, store
# with link tracking off and on (NURTURE_BASE_URL set), RUNS times each, and prints every
# rate with its anchors and the ratio nurture/curl-bare (issue 13 asks for >= 0.8).
# Usage: scripts/bench-smtp.sh [N] [RUNS] [CONNECTIONS...]   (default: 10000 3 1 4 8)
set -euo pipefail
cd "$(dirname "$0")/.."

n=${1:-10000}
runs=${2:-3}
shift 2 || shift $# || true
widths=("${@:-1 4 8}")
source scripts/bench/delivery-setup.sh
(cd "$work/project" && "$nurture" leads import leads.csv >/dev/null && cp nurture.sqlite base.sqlite)
# The bare loop sends one whole message as nurture renders it (tracking on: the larger).
(cd "$work/project" && NURTURE_BASE_URL=https://t.example "$nurture" preview bench one --lead lead1@example.org --format eml > "$work/message.eml")
size=$(wc -c < "$work/message.eml")

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); $n messages of about $size bytes"
for width in ${widths[*]}; do
    for tracking in off on; do
        for run in $(seq 1 "$runs"); do
            start_sink
            /usr/bin/time -v smtp-source -d -s "$width" -m "$n" -l "$size" -f hello@acme.example -t lead@example.com "127.0.0.1:$port" 2> "$work/t1"
            source_s=$(elapsed "$work/t1")
            start_sink
            read -r _ bare_s _ < <("$work/curl-bare" "smtp://127.0.0.1:$port" "$work/message.eml" "$n" "$width")
            start_sink
            base_url=""
            [[ $tracking == on ]] && base_url=https://t.example
            (cd "$work/project" && cp base.sqlite nurture.sqlite && rm -f nurture.sqlite-wal nurture.sqlite-shm &&
                NURTURE_SMTP_URL="smtp://127.0.0.1:$port" NURTURE_SMTP_MAX_CONNECTIONS="$width" NURTURE_BASE_URL="$base_url" \
                /usr/bin/time -v "$nurture" run --once --now 2030-01-07T10:00:00Z > "$work/run.out" 2> "$work/t3")
            grep -q "sent $n," "$work/run.out" || { cat "$work/run.out" "$work/t3"; exit 1; }
            run_s=$(elapsed "$work/t3")
            rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$work/t3")
            cpu=$(awk -F': ' '/User time/ {u = $2} /System time/ {s = $2} END {printf "%.2f", u + s}' "$work/t3")
            printf '%d conn, tracking %-3s run %d: smtp-source %6s msg/s  curl-bare %6s msg/s  nurture %6s msg/s (%s CPU-s, %s MiB)  nurture/curl-bare %.2f\n' \
                "$width" "$tracking" "$run" "$(rate "$n" "$source_s")" "$(rate "$n" "$bare_s")" "$(rate "$n" "$run_s")" "$cpu" "$rss" \
                "$(awk -v a="$bare_s" -v b="$run_s" 'BEGIN { print a / b }')"
        done
    done
done
