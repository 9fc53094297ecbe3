# Sourced by the delivery benchmarks (bench-smtp.sh, bench-dkim.sh) after `cd` to the
# project root, with `n` set: a release build ($nurture), a work folder ($work, removed
# at exit), the bare libcurl loop ($work/curl-bare), the realistic project
# ($work/project, N leads) and an smtp-sink on $port that start_sink (re)starts; rate N
# SECONDS and elapsed TIME-FILE read /usr/bin/time -v's output.
scripts/install-deps.sh time
swift build -c release --product nurture >/dev/null
nurture="$PWD/.build/release/nurture"
work=$(mktemp -d)
sink_pid=""
trap '[[ -n $sink_pid ]] && kill $sink_pid 2>/dev/null; rm -rf "$work"' EXIT
gcc -O2 -o "$work/curl-bare" scripts/bench/curl-bare.c -lcurl
export NURTURE_SECRET=bench-secret-0123456789
bash scripts/bench/realistic-project.sh "$work/project" "$n"
port=$((20000 + RANDOM % 20000))
start_sink() {
    [[ -n $sink_pid ]] && kill "$sink_pid" 2>/dev/null && wait "$sink_pid" 2>/dev/null || true
    smtp-sink -u nobody "127.0.0.1:$port" 1000 &
    sink_pid=$!
    sleep 0.5
}
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }
elapsed() { awk -F': ' '/Elapsed \(wall clock\)/ {split($2, t, ":"); s = 0; for (i = 1; i <= length(t); i++) s = s * 60 + t[i]; print s}' "$1"; }
