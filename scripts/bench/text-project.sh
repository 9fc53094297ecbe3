#!/usr/bin/env bash
# Writes the SMTP benchmarks' project into DIR: one campaign whose one step is a 4 KB
# text message, and leads.csv with N leads tagged for it.
# Usage: scripts/bench/text-project.sh DIR N
set -euo pipefail
dir=$1
n=$2
mkdir -p "$dir/campaigns" "$dir/templates"
cat > "$dir/campaigns/bench.yml" <<'YAML'
id: bench
from: "Acme <hello@acme.example>"
enroll: { tags: [bench] }
steps:
  - { id: one, subject: "Hello {{first_name}}", template: body }
YAML
{
    printf 'Hi {{first_name}},\n\n'
    for _ in $(seq 1 34); do printf 'Thanks for trying Acme. This paragraph stands in for the body of a real message, about a hundred characters.\n'; done
    printf '\nAda\n'
} > "$dir/templates/body.txt.mustache"
awk -v n="$n" 'BEGIN { print "email,first_name,tags"; for (i = 1; i <= n; i++) printf "lead%d@example.com,Lead%d,bench\n", i, i }' > "$dir/leads.csv"
