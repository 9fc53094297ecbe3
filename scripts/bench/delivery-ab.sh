#!/usr/bin/env bash
# Compares builds of nurture on the delivery benchmark's message (realistic-project.sh)
# in alternating rounds: each round times the bare libcurl loop (curl-bare.c), then every
# build once, in an order that rotates from round to round, all into one smtp-sink on
# loopback. This machine's speed drifts by a third within minutes (the same binary has
# measured 0.66 and 1.08 of the anchor within a minute), far more than most changes
# to the send path: builds compared in separate runs of bench-smtp.sh differ by when they
# ran. Prints each run's rate, its ratio to the anchor just before it and its CPU time,
# then per build the median and the lowest ratio.
# Usage: scripts/bench/delivery-ab.sh N CONNECTIONS ROUNDS BINARY [BINARY...]
#   e.g. cp .build/release/nurture /tmp/nurture-before; (change, build);
#        scripts/bench/delivery-ab.sh 10000 8 8 /tmp/nurture-before .build/release/nurture
set -euo pipefail
cd "$(dirname "$0")/../.."
n=$1
width=$2
rounds=$3
shift 3
binaries=()
for binary in "$@"; do binaries+=("$(realpath "$binary")"); done
# smtp-sink (postfix), /usr/bin/time, libcurl's headers for the bare loop.
scripts/install-deps.sh time
work=$(mktemp -d)
sink_pid=""
trap '[[ -n $sink_pid ]] && kill $sink_pid 2>/dev/null; rm -rf "$work"' EXIT
gcc -O2 -o "$work/curl-bare" scripts/bench/curl-bare.c -lcurl
export NURTURE_SECRET=bench-secret-0123456789
bash scripts/bench/realistic-project.sh "$work/project" "$n" "$width"
(cd "$work/project" && "${binaries[0]}" leads import leads.csv >/dev/null && cp nurture.sqlite base.sqlite &&
    "${binaries[0]}" preview bench one --lead lead1@example.org --format eml > "$work/message.eml")
port=$((20000 + RANDOM % 20000))
smtp-sink -u nobody "127.0.0.1:$port" 1000 &
sink_pid=$!
sleep 0.5

echo "machine: $(nproc) cores, $(uname -r); $n messages, $width connections, $rounds rounds"
for round in $(seq 1 "$rounds"); do
    read -r _ bare_s _ < <("$work/curl-bare" "smtp://127.0.0.1:$port" "$work/message.eml" "$n" "$width")
    line="round $round: curl-bare $(awk -v n="$n" -v s="$bare_s" 'BEGIN { printf "%.0f", n / s }') msg/s |"
    count=${#binaries[@]}
    for offset in $(seq 0 $((count - 1))); do
        index=$(((round + offset) % count))
        binary=${binaries[$index]}
        (cd "$work/project" && cp base.sqlite nurture.sqlite && rm -f nurture.sqlite-wal nurture.sqlite-shm &&
            NURTURE_SMTP_URL="smtp://127.0.0.1:$port" /usr/bin/time -f "%e %U %S" -o "$work/time" \
                "$binary" run --once --now 2030-01-07T10:00:00Z > "$work/run.out" 2>&1)
        grep -q "sent $n," "$work/run.out" || { cat "$work/run.out"; exit 1; }
        read -r wall user system < "$work/time"
        ratio=$(awk -v a="$bare_s" -v b="$wall" 'BEGIN { printf "%.2f", a / b }')
        echo "$index $ratio" >> "$work/ratios"
        line+=" #$index $(awk -v n="$n" -v s="$wall" 'BEGIN { printf "%.0f", n / s }') msg/s = $ratio ($(awk -v u="$user" -v s="$system" 'BEGIN { printf "%.2f", u + s }') CPU-s) |"
    done
    echo "$line"
done
for index in "${!binaries[@]}"; do
    awk -v i="$index" '$1 == i { print $2 }' "$work/ratios" | sort -n | awk -v name="${binaries[$index]}" -v i="$index" '
        { r[NR] = $1 } END { m = NR % 2 ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2
                             printf "#%d %s: median %.2f, lowest %.2f of curl-bare over %d runs\n", i, name, m, r[1], NR }'
done
