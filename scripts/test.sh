#!/usr/bin/env bash
# Runs the whole test suite, installing what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

# A corpus of real bounce mail from many MTAs (qmail, Postfix, Exim, Sendmail, Exchange,
# GroupWise, Yahoo, ...): the test data of GNU Mailman's bounce detector, flufl.bounce, from
# PyPI. Not kept in the repository; the bounce corpus test reads it from here.
corpus=.build/bounce-corpus
if [[ ! -d $corpus/flufl_bounce-6.0.0 ]]; then
    mkdir -p "$corpus"
    pip download --quiet --no-deps --no-binary :all: -d "$corpus" flufl.bounce==6.0.0
    tar -xzf "$corpus/flufl_bounce-6.0.0.tar.gz" -C "$corpus"
fi

# The style is swift-format's with the settings in .swift-format (4 spaces, 120 columns);
# `swift format -i -r Sources Tests Package.swift` applies it.
swift format lint --strict -r Sources Tests Package.swift
swift build --build-tests
swift test --skip-build
