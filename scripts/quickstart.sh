#!/usr/bin/env bash
# Builds Nurture and runs it on the example project with the embedded defaults:
# validate the campaign, import the example leads into nurture.sqlite, preview a step.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
swift build -c release --product nurture
nurture=".build/release/nurture"

"$nurture" validate
"$nurture" leads import docs/examples/leads.csv
"$nurture" preview trial-onboarding welcome --lead grace@example.org
"$nurture" run --once
"$nurture" leads show grace@example.org
ls outbox 2>/dev/null || echo "(outbox/ is empty: the example's send window is closed now; nurture status says when it opens)"
