#!/usr/bin/env bash
# Runs the whole test suite, installing what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
# The style is swift-format's with the settings in .swift-format (4 spaces, 120 columns);
# `swift format -i -r Sources Tests Package.swift` applies it.
swift format lint --strict -r Sources Tests Package.swift
swift build --build-tests
swift test --skip-build
