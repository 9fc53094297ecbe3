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
"$nurture" leads show grace@example.org
"$nurture" preview trial-onboarding welcome --lead grace@example.org
