#!/usr/bin/env bash
# Load on click redirects: wrk (Debian's package) against a release `nurture serve` on
# loopback, then checks that every request wrk completed was recorded in the store. The
# anchor, measured first in the same run with the same load: Debian's nginx answering the
# same path with a 302 and an access-log line (the HTTP ceiling on this machine).
# Usage: scripts/bench-serve.sh [SECONDS] [CONNECTIONS] (default: 15 s, 32 connections)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-15}
connections=${2:-32}
scripts/install-deps.sh wrk sqlite3 nginx
swift build -c release --product nurture >/dev/null
nurture="$PWD/.build/release/nurture"
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
nginx_port=$((port + 1))
server_pid=""
nginx_pid=""
trap 'kill $server_pid $nginx_pid 2>/dev/null || true; rm -rf "$work"' EXIT

mkdir -p "$work/campaigns" "$work/templates"
cat > "$work/campaigns/c.yml" <<'YAML'
from: "Acme <hello@acme.example>"
enroll: { tags: [t] }
steps:
  - { id: one, subject: "Hi", template: one }
YAML
printf '<p>Hi {{first_name}}, <a href="https://acme.example/pricing?plan=pro&amp;ref=mail">pricing</a></p>\n' > "$work/templates/one.html.mustache"
export NURTURE_BASE_URL="http://127.0.0.1:$port"
(cd "$work" && "$nurture" leads add reader@example.com --tag t >/dev/null && "$nurture" run --once >/dev/null)
# The HTML part's second /c/ link is the real one (the first is the decoy).
url=$(python3 -c '
import email, re, sys
message = email.message_from_binary_file(open(sys.argv[1], "rb"))
html = next(part for part in message.walk() if part.get_content_type() == "text/html").get_payload(decode=True).decode()
print(re.findall(re.escape(sys.argv[2]) + r"/c/[A-Za-z0-9._-]+", html)[1])' "$work"/outbox/*.eml "$NURTURE_BASE_URL")

(cd "$work" && exec "$nurture" serve --port "$port" 2>"$work/serve.log") &
server_pid=$!
for _ in $(seq 100); do curl -fs "$NURTURE_BASE_URL/healthz" >/dev/null && break; sleep 0.1; done
sleep 2   # past the machine window, though every click is recorded either way

cat > "$work/nginx.conf" <<NGINX
worker_processes 1; daemon off; pid $work/nginx.pid; error_log $work/nginx.err;
events { worker_connections 1024; }
http { access_log $work/access.log; server { listen 127.0.0.1:$nginx_port; location / { return 302 https://acme.example/pricing?plan=pro&ref=mail; } } }
NGINX
/usr/sbin/nginx -c "$work/nginx.conf" &
nginx_pid=$!
sleep 0.5

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -m)"
echo "wrk -t2 -c$connections -d${seconds}s on one click URL (302 to https://acme.example/...)"
agent="Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
wrk -t2 -c"$connections" -d"${seconds}s" -H "User-Agent: $agent" "http://127.0.0.1:$nginx_port${url#$NURTURE_BASE_URL}" > "$work/nginx.txt"
echo "anchor: nginx 302 + access log: $(awk '/Requests\/sec/ {print $2}' "$work/nginx.txt") requests/s"
wrk -t2 -c"$connections" -d"${seconds}s" --latency -H "User-Agent: $agent" "$url" | tee "$work/wrk.txt"
echo "nurture serve / nginx = $(awk -v a="$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")" -v b="$(awk '/Requests\/sec/ {print $2}' "$work/nginx.txt")" 'BEGIN { printf "%.2f", a / b }')"
sleep 1
completed=$(awk '/requests in/ {print $1}' "$work/wrk.txt")
recorded=$(sqlite3 "$work/nurture.sqlite" "SELECT count(*) FROM activity WHERE kind = 'click' AND decoy = 0")
rss=$(awk '/VmHWM/ {printf "%.0f MiB", $2/1024}' "/proc/$server_pid/status")
echo "completed by wrk: $completed; recorded in the store: $recorded (a request cut off at the end may be recorded without wrk counting it)"
echo "serve peak RSS: $rss"
if ((recorded < completed)); then
    echo "FAIL: $((completed - recorded)) completed requests were not recorded" >&2
    exit 1
fi
