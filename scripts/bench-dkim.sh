#!/usr/bin/env bash
# Delivery with DKIM on (issue 37.7): the realistic project of bench-smtp.sh signed with
# one RSA-2048 and one Ed25519 key (every message carries both signatures), into
# postfix's smtp-sink on loopback, beside its anchors from the same run:
#   - curl-bare:  a bare libcurl loop re-sending one pre-built (signed) message
#   - openssl speed -multi 2 rsa2048: RSA-2048 signatures per second on both cores,
#     the ceiling of any sender that signs each message once with such a key
#   - nurture run --once without keys, and with them
# and the ratio nurture-with-DKIM / min(curl-bare, openssl signs/s) (issue 37.7 asks
# for >= 0.8). Usage: scripts/bench-dkim.sh [N] [RUNS] [CONNECTIONS...] (default: 10000 3 1 4 8)
set -euo pipefail
cd "$(dirname "$0")/.."

n=${1:-10000}
runs=${2:-3}
shift 2 || shift $# || true
widths=("${@:-1 4 8}")
source scripts/bench/delivery-setup.sh
export NURTURE_BASE_URL=https://t.example
mkdir -p "$work/project/keys"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/project/keys/rsa.pem" 2>/dev/null
openssl genpkey -algorithm ed25519 -out "$work/project/keys/ed.pem"
chmod 600 "$work/project/keys/"*.pem
cp "$work/project/nurture.yml" "$work/project/unsigned.yml" 2>/dev/null || touch "$work/project/unsigned.yml"
{
    cat "$work/project/unsigned.yml"
    echo "dkim:"
    echo "  - { domain: example.org, selector: rsa1, key_file: keys/rsa.pem }"
    echo "  - { domain: example.org, selector: ed1, key_file: keys/ed.pem }"
} > "$work/project/signed.yml"
(cd "$work/project" && "$nurture" leads import leads.csv >/dev/null && cp nurture.sqlite base.sqlite)
(cd "$work/project" && "$nurture" preview --config signed.yml bench one --lead lead1@example.org --format eml > "$work/message.eml")
grep -c '^DKIM-Signature' "$work/message.eml" | grep -q 2 || { echo "the preview is not signed twice"; exit 1; }
size=$(wc -c < "$work/message.eml")

tick() { # config file, width, output prefix: prints the rate and CPU seconds
    (cd "$work/project" && cp base.sqlite nurture.sqlite && rm -f nurture.sqlite-wal nurture.sqlite-shm &&
        NURTURE_SMTP_URL="smtp://127.0.0.1:$port" NURTURE_SMTP_MAX_CONNECTIONS="$2" \
        /usr/bin/time -v "$nurture" run --config "$1" --once --now 2030-01-07T10:00:00Z > "$work/run.out" 2> "$work/$3")
    grep -q "sent $n," "$work/run.out" || { cat "$work/run.out" "$work/$3"; exit 1; }
    echo "$(rate "$n" "$(elapsed "$work/$3")") $(awk -F': ' '/User time/ {u = $2} /System time/ {s = $2} END {printf "%.2f", u + s}' "$work/$3")"
}

echo "machine: $(nproc) cores, $(uname -r); $n messages of about $size bytes, two signatures each (RSA-2048, Ed25519)"
for width in ${widths[*]}; do
    for run in $(seq 1 "$runs"); do
        signs=$(openssl speed -multi 2 -seconds 2 rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ {print int($6)}')
        start_sink
        read -r _ bare_s _ < <("$work/curl-bare" "smtp://127.0.0.1:$port" "$work/message.eml" "$n" "$width")
        bare=$(rate "$n" "$bare_s")
        start_sink
        read -r plain plain_cpu < <(tick unsigned.yml "$width" t-plain)
        start_sink
        read -r signed signed_cpu < <(tick signed.yml "$width" t-signed)
        anchor=$((bare < signs ? bare : signs))
        printf '%d conn run %d: curl-bare %6s msg/s  openssl rsa2048 %6s signs/s  nurture unsigned %6s msg/s (%s CPU-s)  signed %6s msg/s (%s CPU-s)  signed/min(anchors) %.2f\n' \
            "$width" "$run" "$bare" "$signs" "$plain" "$plain_cpu" "$signed" "$signed_cpu" "$(awk -v a="$signed" -v b="$anchor" 'BEGIN { print a / b }')"
    done
done
