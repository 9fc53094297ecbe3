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
# The example sends on weekdays 09:00-17:00 in each lead's zone. So that the demo shows
# mail whatever the day, the tick's clock is set to the coming Tuesday 14:00 UTC
# (09:00 in New York, 16:00 in Helsinki); in production cron runs `run --once` plainly.
tuesday=$(date -u -d 'next tuesday 14:00' +%Y-%m-%dT%H:%M:%SZ)
"$nurture" run --once --now "$tuesday"
"$nurture" leads show grace@example.org
"$nurture" status --now "$tuesday"
ls -1 outbox
