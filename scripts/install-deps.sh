#!/usr/bin/env bash
# Installs the Debian packages Nurture builds and tests with, when any is missing.
# Usage: scripts/install-deps.sh [extra-package...]
set -euo pipefail

packages=(libsqlite3-dev libcurl4-openssl-dev tzdata pkg-config "$@")
missing=()
for package in "${packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if ((${#missing[@]} > 0)); then
    sudo=""
    [[ $(id -u) -ne 0 ]] && sudo="sudo"
    echo "installing: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
