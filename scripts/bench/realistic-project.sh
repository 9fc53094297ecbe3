#!/usr/bin/env bash
# Writes the delivery benchmarks' project into DIR: the message shape of issue 13, with
# the template of ../shared/bench/delivery_ratio.sh: multipart/alternative, a text part and
# an HTML part of 16 paragraphs with two variables each, an unsubscribe link (about 4.6 KB
# in all); and
# leads.csv with N leads in several time zones, with tags and attributes.
# Usage: scripts/bench/realistic-project.sh DIR N [CONNECTIONS]
set -euo pipefail
dir=$1
n=$2
connections=${3:-4}
mkdir -p "$dir/campaigns" "$dir/templates/bench"
cat > "$dir/campaigns/bench.yml" <<'YAML'
id: bench
name: Bench
from: "Bench <bench@example.org>"
enroll:
  tags: [bench]
steps:
  - id: one
    wait: 0m
    subject: "Hello {{first_name}}, your weekly digest"
    template: bench/one
YAML
paragraph='Dear {{first_name}}, here is a paragraph of ordinary newsletter prose about {{company}} that fills the message. '
{
    for _ in $(seq 1 16); do printf '%s' "$paragraph"; done
    printf '\nUnsubscribe: {{unsubscribe_url}}\n'
} > "$dir/templates/bench/one.txt.mustache"
{
    printf '<html><body>'
    for _ in $(seq 1 16); do printf '<p>%s</p>' "$paragraph"; done
    printf '<a href="{{unsubscribe_url}}">Unsubscribe</a></body></html>'
} > "$dir/templates/bench/one.html.mustache"
printf 'smtp:\n  max_connections: %s\n' "$connections" > "$dir/nurture.yml"
awk -v n="$n" 'BEGIN {
    split("America/New_York Europe/Berlin Asia/Tokyo Australia/Sydney America/Los_Angeles Europe/London", zones, " ")
    split("SaaS Retail Finance Health Education", industries, " ")
    print "email,first_name,last_name,company,timezone,industry,employees,tags"
    for (i = 0; i < n; i++)
        printf "lead%d@example.org,Lead%d,Surname%d,Company %d,%s,%s,%d,bench;%s\n", i, i, i, i, zones[i % 6 + 1], industries[i % 5 + 1], (i * 37) % 5000 + 1, (i % 3 ? "trial" : "customer")
}' > "$dir/leads.csv"
