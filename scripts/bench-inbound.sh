#!/usr/bin/env bash
# Reading bounces: `nurture inbound` on N Postfix-style delivery reports (each a hard bounce
# for one lead, matched by our Message-ID in the returned header, applied to a SQLite
# store), beside sisimai (Debian's libsisimai-perl, the reference reader) parsing the same
# files in the same run. RUNS rounds; each prints both rates.
# Usage: scripts/bench-inbound.sh [N] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}
runs=${2:-3}
scripts/install-deps.sh time
swift build -c release --product nurture >/dev/null
nurture="$PWD/.build/release/nurture"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/campaigns" "$work/templates" "$work/reports"
cat > "$work/campaigns/bench.yml" <<'YML'
id: bench
from: "Bench <bench@example.org>"
enroll: { tags: [bench] }
steps:
  - { id: one, subject: "Hello {{first_name}}", template: one }
YML
echo "Hi {{first_name}}, {{unsubscribe_url}}" > "$work/templates/one.txt.mustache"
python3 - "$work" "$n" <<'PY'
import sys
work, n = sys.argv[1], int(sys.argv[2])
with open(f"{work}/leads.csv", "w") as f:
    f.write("email,first_name,tags\n")
    for i in range(n): f.write(f"lead{i}@example.org,Lead{i},bench\n")
for i in range(n):
    rcpt = f"lead{i}@example.org"
    diagnostic = f"550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown in virtual mailbox table"
    open(f"{work}/reports/{i:06}.eml", "w").write(f"""Return-Path: <>
From: MAILER-DAEMON@mx.example.net (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: bench@example.org
Message-Id: <report{i}@mx.example.net>
Date: Mon,  7 Jan 2030 10:05:00 +0000 (UTC)
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B{i}"

--B{i}
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.net.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<{rcpt}>: host mx.example.net[192.0.2.7] said: {diagnostic} (in reply to RCPT TO command)

--B{i}
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net
Arrival-Date: Mon,  7 Jan 2030 10:00:00 +0000 (UTC)

Final-Recipient: rfc822; {rcpt}
Original-Recipient: rfc822;{rcpt}
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.net
Diagnostic-Code: smtp; {diagnostic}

--B{i}
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

From: Bench <bench@example.org>
To: Lead{i} <{rcpt}>
Message-ID: <nurture.bench.{i + 1}.one@example.org>
Subject: Hello Lead{i}
Date: Mon, 07 Jan 2030 10:00:00 +0000

--B{i}--
""")
PY
export NURTURE_SECRET=bench-secret-0123456789
(cd "$work" && "$nurture" leads import leads.csv >/dev/null && "$nurture" run --once --now 2030-01-07T10:00:00Z >/dev/null 2>&1 &&
    cp nurture.sqlite base.sqlite)
echo "machine: $(nproc) cores, $(uname -r); $n reports"
for round in $(seq 1 "$runs"); do
    start=$(date +%s.%N)
    perl Tests/Fixtures/sisimai_verdicts.pl "$work"/reports/*.eml > "$work/sisimai.tsv"
    sisimai=$(python3 -c "import time; print(round($n / (time.time() - $start)))")
    (cd "$work" && cp base.sqlite nurture.sqlite && rm -f nurture.sqlite-wal nurture.sqlite-shm &&
        /usr/bin/time -f "%e %M" -o "$work/time" "$nurture" inbound reports > "$work/inbound.out")
    read -r seconds rss < "$work/time"
    bounced=$(grep -c ": bounced (" "$work/inbound.out" || true)
    [[ $bounced == "$n" ]] || { echo "only $bounced of $n leads bounced"; exit 1; }
    echo "round $round: nurture inbound $(python3 -c "print(round($n / $seconds))") reports/s (peak RSS $((rss / 1024)) MB) | sisimai $sisimai reports/s"
done
