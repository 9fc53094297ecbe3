#!/usr/bin/env bash
# Times one `nurture run --once` (release build, outbox transport) with TOTAL enrolled
# leads of which DUE are due, for each TOTAL given; the tick should cost what is due,
# not what is stored. Usage: scripts/bench-tick.sh [DUE] [TOTAL...]
# (default: 10000 due, totals 10000 and 1000000)
# Wall time on a shared 2-core machine swings by 20% from run to run, more than the
# effect measured, so the ticks' CPU time is compared too, and where `perf` can count
# them (not in every virtual machine) their user-space instructions, which repeat to
# within a percent.
set -euo pipefail
cd "$(dirname "$0")/.."

due=${1:-10000}
shift || true
totals=("${@:-10000 1000000}")
scripts/install-deps.sh time sqlite3
swift build -c release --product nurture >/dev/null
nurture="$PWD/.build/release/nurture"
work=$(mktemp -d)
shm=$(mktemp -u -p /dev/shm nurture-outbox.XXXXXX)
trap 'rm -rf "$work" "$shm"' EXIT

mkdir -p "$work/campaigns" "$work/templates"
cat > "$work/campaigns/drip.yml" <<'YAML'
id: drip
from: "Acme <hello@acme.example>"
enroll: { tags: [trial] }
steps:
  - { id: one, wait: 0m, subject: "Welcome, {{first_name}}", template: one }
  - { id: two, wait: 2d, subject: "Two", template: one }
YAML
printf 'Hello {{first_name}}, welcome to Acme.\n' > "$work/templates/one.txt.mustache"
printf '<p>Hello {{first_name}}, welcome to <b>Acme</b>.</p>\n' > "$work/templates/one.html.mustache"

t0=1893974400   # 2030-01-07T00:00:00Z
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -m)"
for total in ${totals[*]}; do
    rm -rf "$work/outbox" "$work/nurture.sqlite"* "$shm"
    # The outbox lives on tmpfs: creating 10,000 files right after deleting as many makes
    # ext4's inode allocator the bottleneck, which is not what this measures.
    mkdir -p "$shm" && ln -s "$shm" "$work/outbox"
    awk -v n="$total" 'BEGIN { print "email,first_name,tags"; for (i = 1; i <= n; i++) printf "lead%d@example.com,Lead%d,trial\n", i, i }' > "$work/leads.csv"
    (cd "$work" && "$nurture" leads import leads.csv >/dev/null)
    # Enrol everyone directly, with DUE of them due now and the rest a month later, in the
    # order `run` enrols them (the order their tags arrived: lead order). Without ORDER BY,
    # SQLite reads the ids from the smaller email index, so enrolment ids would follow the
    # addresses' spelling and the due rows would lie one or two to a page across the whole
    # table, which no tick's own enrolment produces (the note of issue 13 gives that case too;
    # BENCH_TICK_SCATTER=1 measures it).
    order="ORDER BY id"
    [[ ${BENCH_TICK_SCATTER:-0} == 1 ]] && order="ORDER BY email_key"
    sqlite3 "$work/nurture.sqlite" <<SQL
INSERT INTO enrollments (campaign_id, lead_id, state, enrolled_at, next_due_at)
    SELECT 'drip', id, 'active', $t0, CASE WHEN id <= $due THEN $t0 ELSE $t0 + 30 * 86400 END FROM leads $order;
INSERT INTO enrollment_cursors (campaign_id, rule, tag_seq, event_id)
    VALUES ('drip', 'tags=trial;events=', (SELECT max(seq) FROM lead_tags), 0);
SQL
    counter=()
    if perf stat -x, -e instructions:u true 2>&1 >/dev/null | grep -q '^[0-9]'; then counter=(perf stat -x, -e instructions:u -o "$work/instructions"); fi
    (cd "$work" && /usr/bin/time -v "${counter[@]}" "$nurture" run --once --now 2030-01-07T00:00:00Z > out 2> time)
    seconds=$(awk -F': ' '/Elapsed \(wall clock\)/ {split($2, t, ":"); s = 0; for (i = 1; i <= length(t); i++) s = s * 60 + t[i]; print s}' "$work/time")
    rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2 / 1024}' "$work/time")
    cpu=$(awk -F': ' '/(User|System) time/ {s += $2} END {printf "%.2f", s}' "$work/time")
    instructions=$( ((${#counter[@]})) && awk -F, '/instructions/ {print $1}' "$work/instructions" || echo 0)
    counted=$(awk -v i="$instructions" 'BEGIN { if (i > 0) printf "%.2f G", i / 1e9; else print "not countable here" }')
    printf '%8d leads, %6d due: tick %6.2f s, %5.2f CPU-s, instructions %s, peak RSS %s MiB  (%s)\n' \
        "$total" "$due" "$seconds" "$cpu" "$counted" "$rss" "$(tr -d '\n' < "$work/out")"
    first=${first:-$seconds}
    first_instructions=${first_instructions:-$instructions}
    first_cpu=${first_cpu:-$cpu}
done
# The anchor is the first total's tick, measured in the same run (issue 13 asks for <= 1.2).
printf 'tick with the most leads / tick with the fewest = %.2f (time), %.2f (CPU)' \
    "$(awk -v a="$seconds" -v b="$first" 'BEGIN { print a / b }')" "$(awk -v a="$cpu" -v b="$first_cpu" 'BEGIN { print a / b }')"
if ((first_instructions > 0)); then
    printf ', %.2f (instructions)' "$(awk -v a="$instructions" -v b="$first_instructions" 'BEGIN { print a / b }')"
fi
echo
